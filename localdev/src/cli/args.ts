/** What every `pr-canary` command (and `npm start`) parses and prints the same way. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { safeText } from '@pr-canary/service-kit/safe-text';

/** A command line that cannot be run as typed (exit code 2). */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** `-h` / `--help`, in every command's options. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Prints the command's help when it was asked for; true when it was. */
export function answeredHelp(
  values: { help?: boolean },
  help: string,
  out: { stdout(text: string): void },
): boolean {
  if (values.help) out.stdout(`${help}\n`);
  return values.help === true;
}

/**
 * Node's `parseArgs`, refusing an option given twice unless it takes a list (parseArgs would keep the
 * last value silently): `--pr 42 --pr 7` is a usage error, not PR 7, and so is `--json --json`, as every
 * command's help says.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const parsed = parseArgs({ ...config, tokens: true });
  const given = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const option = config.options?.[token.name];
    if (option === undefined || option.multiple) continue;
    if (given.has(token.name)) throw new CliUsageError(`--${token.name} is given twice: give it once`);
    given.add(token.name);
  }
  // The same values and positionals; the tokens asked for here come along unused.
  return parsed as ReturnType<typeof parseArgs<T>>;
}

/**
 * Node's `parseArgs` refusal (ERR_PARSE_ARGS_*) as one sentence of ours, naming the option as typed
 * (terminal-safe); undefined for any other error. Node's own text runs over several lines and tells
 * a positional to go after `--`, which no command here takes.
 */
export function parseArgsUsageError(error: unknown): CliUsageError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return undefined;
  const message = String((error as Error).message);
  // Node names a known option by its forms ('-n, --count <value>'): the long one says it best.
  // (an ambiguous value names the short form only, and the long one in its hint: '--count=-XYZ').
  const forms = /^Option '([^']*)'/.exec(message)?.[1] ?? '';
  const option =
    /use '(--[^=']+)=/.exec(message)?.[1] ??
    forms.match(/--[^\s,<]+/g)?.at(-1) ??
    forms.split(/[\s,]/)[0] ??
    forms;
  let text: string;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    text = `unknown option ${/^Unknown option '(.*?)'(?:\. To specify|$)/s.exec(message)?.[1] ?? ''}`;
  else if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    text = `unexpected argument ${/^Unexpected argument '(.*?)'(?:\. This command|$)/s.exec(message)?.[1] ?? ''}`;
  else if (message.includes('ambiguous'))
    text = `${option} needs a value (one that starts with "-" is written ${option}=<value>)`;
  else if (message.includes('does not take an argument')) text = `${option} takes no value`;
  else if (message.includes('argument missing')) text = `${option} needs a value`;
  else text = message.split('\n')[0] ?? message;
  return new CliUsageError(terminalLine(text));
}

export function wholeNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^(0|[1-9][0-9]*)$/.test(value) || n < min || n > max)
    throw new CliUsageError(`${flag} must be a whole number ${min}-${max}`);
  return n;
}

/**
 * A message for the terminal on one line, through service-kit's `safeText`: control characters (a line
 * break too) as `?`, so an argument or a file name echoed in it never drives the terminal.
 */
export function terminalLine(message: string): string {
  return safeText(message, 2_000, '?');
}

/** A message of several lines (a child's last lines, a list of ports): each line as `terminalLine`, indentation kept. */
export function terminalText(message: string): string {
  return message
    .split('\n')
    .map((line) => `${/^ */.exec(line)?.[0] ?? ''}${terminalLine(line)}`)
    .join('\n');
}
