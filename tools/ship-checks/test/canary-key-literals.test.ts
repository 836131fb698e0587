/**
 * The PR grammar and the canary header names are written once, in packages/contracts (the grammar in
 * `src/pr-number.json`, so that the workflow and localdev shell scripts read it as data). Code
 * elsewhere reads them; only what cannot read them spells them out — Kubernetes YAML (the admission
 * policy's CEL) and prose — and there the grammar must still be the contracts' one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { PR_NUMBER_SOURCE } from '@pr-canary/contracts/canary-key';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, repoPath } from '../src/repo';

/** Tracked files (and untracked ones git does not ignore) whose lines match `pattern` (git grep -E). */
function grep(pattern: string, paths: string[]): string[] {
  const result = spawnSync('git', ['grep', '--untracked', '-n', '-I', '-i', '-E', pattern, '--', ...paths], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (result.status === 1) return [];
  if (result.status !== 0) throw new Error(`git grep failed: ${result.stderr}`);
  return result.stdout.trim().split('\n');
}

/** Code: what runs or builds, not its tests, fixtures or docs; packages/contracts is the one place. */
const CODE = [
  '*.ts',
  '*.mts',
  '*.mjs',
  '*.js',
  '*.sh',
  ':!packages/contracts/**',
  ':!**/test/**',
  ':!*.test.ts',
  ':!**/dist/**',
];

/** What a PR number grammar looks like: a nonzero digit, then up to eight more (other bounds are other facts). */
const GRAMMAR_LIKE = String.raw`\[1-9\](\[0-9\]|\\d)\{0,8\}`;

describe('the canary key, written once (packages/contracts)', () => {
  it('no code outside packages/contracts spells out the PR grammar', () => {
    expect(grep(GRAMMAR_LIKE, CODE)).toEqual([]);
  });

  it("where it must be spelled out (Kubernetes YAML, docs) it is the contracts' grammar", () => {
    const spelled = grep(GRAMMAR_LIKE, ['*.yaml', '*.yml', '*.md', ':!**/node_modules/**']);
    expect(spelled.length).toBeGreaterThan(0);
    const grammar = new RegExp(GRAMMAR_LIKE, 'gi');
    for (const line of spelled)
      for (const [found] of line.matchAll(grammar)) expect(found, line).toBe(PR_NUMBER_SOURCE);
  });

  it('no code outside packages/contracts writes a canary header name as a string', () => {
    expect(grep(`['"](x-canary|x-canary-warning|x-served-by|x-trace-id)['"]`, CODE)).toEqual([]);
  });

  it('the workflow scripts refuse what the canary key refuses, reading the same grammar', () => {
    const check = (pr: string) =>
      spawnSync(process.execPath, [repoPath('.github/scripts/image-ref.mjs'), 'pr-number', '--pr', pr], {
        encoding: 'utf8',
      });
    expect(check('42').stdout).toBe('42\n');
    expect(check('999999999').status).toBe(0);
    for (const pr of ['0', '042', '1000000000', '4a']) {
      const refused = check(pr);
      expect(refused.status, pr).toBe(2);
      expect(refused.stderr).toBe('image-ref: PR number must be 1-999999999 without leading zeros\n');
    }
    // A shell script refuses before doing anything (no GitHub call is made: GH_TOKEN is not set).
    const script = spawnSync('bash', [repoPath('.github/scripts/add-canary-labels.sh'), '042', '[]'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, GITHUB_REPOSITORY: 'acme/shop' },
    });
    expect(script.status).toBe(2);
    expect(script.stderr).toContain('PR number must be');
  });

  it('the localdev shell scripts read it too', () => {
    const intercept = (pr: string) =>
      spawnSync('bash', [repoPath('localdev/telepresence/intercept.sh'), '--dry-run', 'api-service', pr], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, STATE_DIR: '/nonexistent-dry-run' },
      });
    expect(intercept('042').status).toBe(2);
    expect(intercept('042').stderr).toBe('error: PR number must be 1-999999999 without leading zeros\n');
    const accepted = intercept('42');
    expect(accepted.status, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain('X-Canary=42');
  });

  it('git grep answers here (so the checks above can fail)', () => {
    expect(
      execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: REPO_ROOT, encoding: 'utf8' }),
    ).toBe('true\n');
    expect(grep(GRAMMAR_LIKE, ['packages/contracts/src/pr-number.json'])).toHaveLength(1);
  });
});
