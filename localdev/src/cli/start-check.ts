/**
 * Run by `npm start`'s bin before it builds (its last build's compiled form first, the sources through tsx
 * when that does not accept the command line): answers `--help` and refuses a
 * command line it cannot run, as the runner would, without waiting for — or being stopped by — the
 * build. A command line that can run is handed back over the IPC channel as what to build (exit 0).
 */
import { answerStartCommand } from './start-options';

const { code, stdout, stderr, plan } = answerStartCommand(process.argv.slice(2), process.env);
process.stdout.write(stdout);
process.stderr.write(stderr);
process.exitCode = code;
// The IPC channel keeps this process alive: closed once the plan is sent (or at once without one).
if (plan && process.send) process.send(plan, () => process.disconnect());
else process.disconnect?.();
