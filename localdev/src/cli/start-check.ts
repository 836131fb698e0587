/**
 * Run by `npm start`'s bin before it builds (its last build's compiled form first, the sources through tsx
 * when that does not accept the command line): answers `--help` and refuses a
 * command line it cannot run, as the runner would, without waiting for — or being stopped by — the
 * build. A command line that can run is handed back over the IPC channel as what to build (exit 0).
 */
import { parseStartCommand, refusal, START_HELP } from './start-options';

/** The bin's answer: build and start the stack; the web UI's production build only when it is served. */
export interface StartPlan {
  buildWeb: boolean;
}

/** The exit code, and the plan when the stack is to be built and started. */
function check(): { code: number; plan?: StartPlan } {
  try {
    const command = parseStartCommand(process.argv.slice(2), process.env);
    if (command === 'help') {
      process.stdout.write(`${START_HELP}\n`);
      return { code: 0 };
    }
    return { code: 0, plan: { buildWeb: command.web && !command.webDev } };
  } catch (error) {
    const refused = refusal(error);
    if (!refused) throw error;
    process.stderr.write(`npm start: ${refused.message}\n`);
    return { code: refused.exitCode };
  }
}

const { code, plan } = check();
process.exitCode = code;
// The IPC channel keeps this process alive: closed once the plan is sent (or at once without one).
if (plan && process.send) process.send(plan, () => process.disconnect());
else process.disconnect?.();
