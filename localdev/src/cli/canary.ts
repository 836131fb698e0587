/** `pr-canary` CLI (npx pr-canary …): see `pr-canary --help`. The only place that reads argv for it. */
import { runCanaryCommand } from './canary-command';

runCanaryCommand(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
