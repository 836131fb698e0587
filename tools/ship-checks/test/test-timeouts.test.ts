import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/repo';
import { raisedTimeouts } from '../src/test-timeouts';

/** Every tracked test file, test helper and vitest config (a scaffold template's tests among them). */
const TEST_CODE = /(^|\/)test\/.*\.[cm]?[jt]s$|(^|\/)vitest[^/]*\.m?[jt]s$/;
/** This check's own tests: their examples are text, not calls. */
const THIS_FILE = 'tools/ship-checks/test/test-timeouts.test.ts';

describe('test timeouts', () => {
  it('stay within the shared 20 s everywhere: no test, suite, hook or config raises its own', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((file) => TEST_CODE.test(file) && file !== THIS_FILE);
    expect(files).toEqual(
      expect.arrayContaining(['vitest.shared.mts', 'apps/api-service/test/server.test.ts']),
    );
    const raised = files.flatMap((file) =>
      raisedTimeouts(file, readFileSync(path.join(REPO_ROOT, file), 'utf8')).map(
        (found) =>
          `${found.at}: ${found.text} (${found.ms === undefined ? 'not a number it can read' : `${found.ms} ms`})`,
      ),
    );
    expect(raised).toEqual([]);
  });

  it('finds a raised timeout however it is written, and only those', () => {
    const source = [
      "it('a', { timeout: 30_000 }, () => {});",
      "describe.each([1])('b', () => {}, 2 * 60_000);",
      'beforeAll(() => {}, IMPORTED_TIMEOUT_MS);',
      'const PROCESS_TIMEOUT_MS = 90_000;',
      "it.skip('c', async () => {}, PROCESS_TIMEOUT_MS);",
      "it('within the limit', () => {}, 20_000);",
      "it('the shared timeout', () => {});",
      'await expect.poll(() => 1, { timeout: 60_000 }).toBe(1);',
      "// it('commented out', () => {}, 99_000);",
      'const text = "it(\'in a string\', () => {}, 99_000)";',
    ].join('\n');
    expect(raisedTimeouts('x.test.ts', source)).toEqual([
      { at: 'x.test.ts:1', text: 'timeout: 30_000', ms: 30_000 },
      { at: 'x.test.ts:2', text: '2 * 60_000', ms: 120_000 },
      { at: 'x.test.ts:3', text: 'IMPORTED_TIMEOUT_MS', ms: undefined },
      { at: 'x.test.ts:5', text: 'PROCESS_TIMEOUT_MS', ms: 90_000 },
    ]);
    expect(
      raisedTimeouts(
        'vitest.shared.mts',
        'export default { test: { testTimeout: 60_000, hookTimeout: 20_000 } };',
      ),
    ).toEqual([{ at: 'vitest.shared.mts:1', text: 'testTimeout: 60_000', ms: 60_000 }]);
  });
});
