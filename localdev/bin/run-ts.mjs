// Runs a TypeScript entry of this package in a child node with tsx and the `pr-canary-source`
// condition, forwarding arguments, stdio and signals, and exiting with the child's exit code. The
// child gets an IPC channel and the parent-watch preload, so it stops (and stops the stack) even when
// this shim is killed with SIGKILL.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Resolves the packages the child needs; without `npm ci` says so instead of a module-not-found trace. */
function resolveDependencies(commandName) {
  try {
    return {
      tsx: import.meta.resolve('tsx'),
      parentWatch: import.meta.resolve('@pr-canary/canary-context/parent-watch'),
    };
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    process.stderr.write(
      `${commandName}: the dependencies are not installed. Run \`npm ci\` at the repository root first.\n`,
    );
    process.exit(1);
  }
}

export function runTypeScript(relativeEntry, commandName) {
  const { tsx, parentWatch } = resolveDependencies(commandName);
  const entry = fileURLToPath(new URL(relativeEntry, import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--conditions=pr-canary-source',
      '--import',
      parentWatch,
      '--import',
      tsx,
      entry,
      ...process.argv.slice(2),
    ],
    { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] },
  );
  child.channel?.unref();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  });
}
