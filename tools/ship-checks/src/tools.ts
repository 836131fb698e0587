import { spawnSync } from 'node:child_process';

/**
 * Whether an external checker (shellcheck, yamllint, kubectl) can run here. Missing on a developer
 * machine → the caller skips with a clear message; missing in CI (`CI` set) → an error, so CI can
 * never pass by skipping.
 */
export function externalTool(name: string, versionArgs: readonly string[] = ['--version']): boolean {
  const probe = spawnSync(name, versionArgs, { encoding: 'utf8' });
  const available = probe.error === undefined && probe.status === 0;
  if (available) return true;
  if (process.env.CI) throw new Error(`${name} is required in CI but is not installed`);
  console.warn(`ship-checks: ${name} is not installed — skipping its checks (CI installs it)`);
  return false;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  command: string,
  args: readonly string[],
  opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): RunResult {
  const result = spawnSync(command, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
