// `node run-in-group.mjs <command> [args…]`: runs the command as a process group of its own and ends
// the whole group with this process. Every root script that runs turbo (test, test:browser, build,
// typecheck, lint) runs it through this (`exec node packages/local-kit/run-in-group.mjs turbo run …`).
//
// Why: npm passes a SIGTERM (`timeout 600 npm test`, a cancelled CI step, `kill <npm's pid>`) to its
// `sh -c` only, and sh dies without passing it on: turbo, every workspace's vitest and the processes
// they spawned ran on to the end of the suite. The script execs this in place of sh, so npm's signals
// reach it; parent-watch covers npm killed outright (the ancestors it watches are gone).
//
// - SIGINT, SIGTERM and SIGHUP are passed to the whole group at once (a second Ctrl-C too); whatever
//   of the group is still there STOP_GRACE_MS later is SIGKILLed.
// - When the command exits, anything it left running in its group would be orphaned: it is stopped
//   the same way, and said on stderr (a test that leaks a process shows up instead of lingering).
// - The exit code is the command's (128 + the signal's number when a signal ended it); 127 when the
//   command cannot be started. A run stopped by a signal ends by that signal, whatever the command's
//   code: turbo exits 0 after a Ctrl-C, and `npm test && next-step` must not go on.
//
// The command runs with the repository's compile cache (compile-cache.mjs) unless NODE_COMPILE_CACHE
// names another.
//
// The group leaves stdin alone (/dev/null): a process group that is not the terminal's foreground one
// would be stopped (SIGTTIN) if it read from it. Plain JavaScript: it runs before anything is built.
import './parent-watch.mjs';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { useRepositoryCompileCache } from './compile-cache.mjs';

const STOP_GRACE_MS = 5_000;
const POLL_MS = 100;
const NAME = 'run-in-group';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write(`usage: node ${NAME}.mjs <command> [args…]\n`);
  process.exit(2);
}

/** Whether any process of the group is left. */
function groupAlive(group) {
  try {
    process.kill(-group, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function signalGroup(group, signal) {
  try {
    process.kill(-group, signal);
  } catch {
    // Gone already.
  }
}

useRepositoryCompileCache();
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
const group = child.pid;
let stopping;
/** 'armed' once a stop began (a signal, or the command's exit with the group not empty); 'sent' after. */
let kill = 'not yet';

/** SIGKILLs whatever of the group is left STOP_GRACE_MS after the first stop. */
function killAfterGrace() {
  if (kill !== 'not yet') return;
  kill = 'armed';
  setTimeout(() => {
    signalGroup(group, 'SIGKILL');
    kill = 'sent';
  }, STOP_GRACE_MS).unref();
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => {
    if (group === undefined) return;
    signalGroup(group, signal);
    stopping ??= signal;
    killAfterGrace();
  });

child.once('error', (error) => {
  process.stderr.write(`${NAME}: cannot run ${command}: ${error.message}\n`);
  process.exit(127);
});

child.once('exit', async (code, signal) => {
  if (groupAlive(group)) {
    if (!stopping)
      process.stderr.write(
        `${NAME}: ${command} exited and left processes running in its group; stopping them\n`,
      );
    signalGroup(group, 'SIGTERM');
    killAfterGrace();
    // Until the group is empty or SIGKILLed (a zombie left for a container's init to reap is no worry).
    while (groupAlive(group) && kill !== 'sent') await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (stopping) {
    // Ended as the signal ends a process, so a shell sees an interrupted run.
    process.removeAllListeners(stopping);
    process.kill(process.pid, stopping);
  }
  process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
});
