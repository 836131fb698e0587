/** What every `pr-canary` command parses the same way. */

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

export function wholeNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < min || n > max)
    throw new CliUsageError(`${flag} must be a whole number ${min}-${max}`);
  return n;
}
