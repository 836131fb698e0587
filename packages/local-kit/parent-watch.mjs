// Preload (`node --import @pr-canary/local-kit/parent-watch …`) for a process that must not outlive
// the process that started it, even when that process is killed with SIGKILL and cannot clean up.
//
// With an IPC channel (a child the stack spawned with stdio 'ipc'): the operating system closes the
// channel when the parent dies, however it dies, and Node then emits 'disconnect' here.
//
// Without one (the stack runner, which `npm start` reaches through `sh -c`, and which execs into
// itself): its ancestors are watched instead, twice a second. A parent that dies leaves this process
// to init (`process.ppid` changes); when the parent is a shell, its own parent is watched too — npm
// forwards SIGTERM to its `sh -c`, and sh dies without passing it on; npm killed outright leaves the sh
// waiting. Linux tells a process's parent in /proc/<pid>/stat; elsewhere only the parent is watched.
//
// A process that execs into another keeps its pid: `npm start`'s bin loads this too while it checks its
// command line and builds, then execs into the stack runner. The ancestry it watched is handed on in
// PR_CANARY_WATCHED_ANCESTRY, tagged with the pid, so the runner watches the same ancestors and finds
// them gone at once if they died during the build — it would otherwise start already orphaned, take
// init for its parent (a container's entrypoint) and run a whole stack that nobody can stop. A child (a
// different pid) ignores the variable.
//
// Either way the process then stops the way a SIGTERM stops it (the service's own graceful shutdown,
// the stack's stop). A dead parent no longer reads our stdout/stderr, so log writes fail with EPIPE —
// and pino's exit-time flush (sonic-boom flushSync) retries a failed write forever, blocking the main
// thread inside process.exit() where no timer or signal handler of ours can run. So a watchdog on its
// own thread SIGKILLs the process if it is still there PARENT_GONE_EXIT_MS later.
//
// Plain JavaScript on purpose: it is loaded before any TypeScript loader, by services, dynalite, Vite
// and the stack runner alike.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const PARENT_GONE_EXIT_MS = 3_000;
/**
 * Without an IPC channel (the stack runner) the terminal is still there, so no log write blocks; the
 * watchdog then only bounds a stop that hangs, after the stack's own 8 s grace per child.
 */
const ANCESTOR_GONE_EXIT_MS = 15_000;

function startWatchdog(ms) {
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     setTimeout(() => process.kill(workerData.pid, 'SIGKILL'), workerData.ms);`,
    { eval: true, workerData: { pid: process.pid, ms }, stdout: true, stderr: true },
  );
  // It must never keep the process alive by itself.
  watchdog.unref();
}

function parentGone(watchdogMs) {
  startWatchdog(watchdogMs);
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  process.kill(process.pid, 'SIGTERM');
}

const ANCESTOR_POLL_MS = 500;
const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'ksh']);

/** The parent of `pid` and its command name, from /proc (undefined where there is none). */
function procEntry(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    return {
      comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]),
    };
  } catch {
    return undefined;
  }
}

const ANCESTRY_VARIABLE = 'PR_CANARY_WATCHED_ANCESTRY';

/** The ancestry this very process watched before it exec'd (`<pid>:<parent>:<grandparent or nothing>`). */
function handedAncestry() {
  const handed = /^(\d+):(\d+):(\d*)$/.exec(process.env[ANCESTRY_VARIABLE] ?? '');
  if (!handed || Number(handed[1]) !== process.pid) return undefined;
  return { parent: Number(handed[2]), grandparent: handed[3] ? Number(handed[3]) : undefined };
}

function watchAncestors() {
  const handed = handedAncestry();
  const parent = handed?.parent ?? process.ppid;
  if (parent <= 1) return; // started by init (a container's entrypoint): nothing to outlive
  let grandparent = handed?.grandparent;
  if (!handed) {
    const entry = procEntry(parent);
    grandparent = entry && SHELLS.has(entry.comm) && entry.ppid > 1 ? entry.ppid : undefined;
  }
  process.env[ANCESTRY_VARIABLE] = `${process.pid}:${parent}:${grandparent ?? ''}`;
  const gone = () =>
    process.ppid !== parent || (grandparent !== undefined && procEntry(parent)?.ppid !== grandparent);
  if (gone()) return parentGone(ANCESTOR_GONE_EXIT_MS);
  const timer = setInterval(() => {
    if (gone()) {
      clearInterval(timer);
      parentGone(ANCESTOR_GONE_EXIT_MS);
    }
  }, ANCESTOR_POLL_MS);
  timer.unref();
}

if (typeof process.send === 'function' && process.channel) {
  process.once('disconnect', () => parentGone(PARENT_GONE_EXIT_MS));
  // The channel alone must not keep the process alive.
  process.channel.unref();
} else watchAncestors();
