import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Runs `run` when the module at `moduleUrl` is the script node was started with (not when a test
 * imports it): what it returns is printed (a final newline added when missing), and an error is one
 * line `<name>: <message>` on stderr with exit code 2 — never a stack trace in a workflow log.
 * @param {string} moduleUrl the caller's `import.meta.url`
 * @param {string} name
 * @param {() => string} run
 */
export function runAsScript(moduleUrl, name, run) {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  try {
    const output = run();
    process.stdout.write(output.endsWith('\n') || output === '' ? output : `${output}\n`);
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}

/**
 * `<command> --option value …`: the command and its string options (all optional; unknown options
 * are an error).
 * @template {string} K
 * @param {string[]} argv
 * @param {readonly K[]} names
 * @returns {{ command: string | undefined, values: Partial<Record<K, string>> }}
 */
export function parseCommand(argv, names) {
  const [command, ...rest] = argv;
  const options = Object.fromEntries(names.map((name) => [name, { type: /** @type {const} */ ('string') }]));
  const { values } = parseArgs({ args: rest, options });
  return { command, values: /** @type {Partial<Record<K, string>>} */ (values) };
}
