// Runs a TypeScript entry of this package in a child node with tsx and the `pr-canary-source`
// condition, forwarding arguments, stdio and signals, and exiting with the child's exit code.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export function runTypeScript(relativeEntry) {
  const entry = fileURLToPath(new URL(relativeEntry, import.meta.url));
  const tsx = import.meta.resolve('tsx');
  const child = spawn(
    process.execPath,
    ['--conditions=pr-canary-source', '--import', tsx, entry, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  });
}
