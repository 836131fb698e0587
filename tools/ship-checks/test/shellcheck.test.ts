import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from '../src/repo';
import { externalTool, run } from '../src/tools';

/** Every shell script this workspace owns. */
const SCRIPT_DIRS = ['.github/scripts', 'localdev/cluster', 'localdev/cluster/lib', 'localdev/telepresence'];

// A folder that is missing fails the file at load rather than dropping its scripts from the checks.
const scripts = SCRIPT_DIRS.flatMap((dir) =>
  readdirSync(repoPath(dir))
    .filter((file) => file.endsWith('.sh'))
    .map((file) => `${dir}/${file}`),
);

const shellcheck = externalTool('shellcheck');
const scratch = mkdtempSync(path.join(tmpdir(), 'ship-checks-shellcheck-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('shell scripts', () => {
  it('exist in every folder that ships them', () => {
    for (const dir of SCRIPT_DIRS) {
      expect(
        scripts.some((script) => path.dirname(script) === dir),
        dir,
      ).toBe(true);
    }
  });

  it.each(scripts)('%s is strict bash (set -euo pipefail)', (script) => {
    const text = readFileSync(repoPath(script), 'utf8');
    expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(text).toMatch(/^set -euo pipefail$/m);
  });

  it.skipIf(!shellcheck).each(scripts)('%s passes shellcheck', (script) => {
    const result = run('shellcheck', ['--external-sources', '--severity=style', repoPath(script)], {
      cwd: path.dirname(repoPath(script)),
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!shellcheck)('shellcheck flags an unquoted expansion (the check above can fail)', () => {
    const bad = path.join(scratch, 'bad.sh');
    writeFileSync(bad, '#!/usr/bin/env bash\nrm -rf $1/tmp\n');
    expect(run('shellcheck', [bad]).status).not.toBe(0);
  });
});
