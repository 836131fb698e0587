// Preload (`node --import @pr-canary/local-kit/parent-watch …`) for a child that must not outlive
// the process that started it, even when that process is killed with SIGKILL and cannot clean up.
//
// The parent spawns the child with an IPC channel (stdio 'ipc'); the operating system closes that
// channel when the parent dies, however it dies, and Node then emits 'disconnect' here. The child
// then stops the way a SIGTERM stops it (the service's own graceful shutdown). A dead parent no
// longer reads our stdout/stderr, so log writes fail with EPIPE — and pino's exit-time flush
// (sonic-boom flushSync) retries a failed write forever, blocking the main thread inside
// process.exit() where no timer or signal handler of ours can run. So a watchdog on its own thread
// SIGKILLs the process if it is still there PARENT_GONE_EXIT_MS later.
//
// Without an IPC channel this does nothing. Plain JavaScript on purpose: it is loaded before any
// TypeScript loader, by services, dynalite, Vite and the stack runner alike.
import { Worker } from 'node:worker_threads';

const PARENT_GONE_EXIT_MS = 3_000;

function startWatchdog() {
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     setTimeout(() => process.kill(workerData.pid, 'SIGKILL'), workerData.ms);`,
    { eval: true, workerData: { pid: process.pid, ms: PARENT_GONE_EXIT_MS }, stdout: true, stderr: true },
  );
  // It must never keep the process alive by itself.
  watchdog.unref();
}

if (typeof process.send === 'function' && process.channel) {
  process.once('disconnect', () => {
    startWatchdog();
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    process.kill(process.pid, 'SIGTERM');
  });
  // The channel alone must not keep the process alive.
  process.channel.unref();
}
