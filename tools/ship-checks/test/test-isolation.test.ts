/**
 * Workspaces whose vitest config uses `SHARED_WORKER` (vitest.shared.mts) run all their test files in
 * one worker, with the modules of one file still loaded when the next runs. That is sound only while
 * no test changes process state another file could see: the environment, globals, timers, mocks, the
 * working folder. This holds their tests (and test helpers) to it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWorkspaces } from '../../../.github/scripts/changed-services.mjs';
import { sourceFiles } from '../src/package-graph';
import { REPO_ROOT } from '../src/repo';

/** What changes state beyond one test file, with what to do instead. */
const STATE_CHANGES: readonly { pattern: RegExp; what: string }[] = [
  {
    pattern: /\bvi\.(?:mock|doMock|stubEnv|stubGlobal|spyOn|useFakeTimers)\s*\(/,
    what: 'a vi mock, stub or fake timer',
  },
  { pattern: /\bprocess\.chdir\s*\(/, what: 'process.chdir' },
  { pattern: /\bprocess\.env(?:\.\w+|\[[^\]]+\])?\s*=(?!=)/, what: 'an assignment to process.env' },
  { pattern: /\bdelete\s+process\.env\b/, what: 'a delete from process.env' },
  { pattern: /\bObject\.assign\s*\(\s*process\.env\b/, what: 'Object.assign onto process.env' },
  { pattern: /\bglobalThis\.\w+\s*=(?!=)/, what: 'an assignment to globalThis' },
  {
    pattern: /\b(?:startTelemetry|setGlobalTracerProvider|setGlobalContextManager|setGlobalPropagator)\s*\(/,
    what: 'a global OpenTelemetry provider, context manager or propagator',
  },
];

/** `file: what` for every line of `source` that changes process state. */
function stateChanges(file: string, source: string): string[] {
  return source
    .split('\n')
    .flatMap((line, i) =>
      STATE_CHANGES.filter(({ pattern }) => pattern.test(line)).map(
        ({ what }) => `${file}:${i + 1}: ${what}`,
      ),
    );
}

const sharing = readWorkspaces(REPO_ROOT)
  .map((workspace: { dir: string }) => workspace.dir)
  .filter((dir: string) => {
    const config = path.join(REPO_ROOT, dir, 'vitest.config.mts');
    try {
      return readFileSync(config, 'utf8').includes('SHARED_WORKER');
    } catch {
      return false;
    }
  });

describe('workspaces whose test files share one worker', () => {
  it('are every one whose tests leave process state alone (the services that set env, fake timers or start telemetry in-process stay isolated)', () => {
    expect(sharing.sort()).toEqual([
      'apps/api-service',
      'apps/web',
      'extension-canary',
      'localdev',
      'manifests',
      'packages/canary-analysis',
      'packages/canary-context',
      'packages/contracts',
      'packages/local-kit',
      'packages/test-support',
      'tools/ship-checks',
    ]);
  });

  it('change no process state in a test or a test helper', () => {
    const found = sharing.flatMap((dir: string) =>
      sourceFiles(path.join(REPO_ROOT, dir, 'test'))
        .map((file) => path.relative(REPO_ROOT, file))
        // Browser suites run under their own config (one file at a time), not in the shared worker.
        .filter((file) => !file.includes('.browser.'))
        // This file: its examples below are text, not calls.
        .filter((file) => file !== 'tools/ship-checks/test/test-isolation.test.ts')
        .flatMap((file) => stateChanges(file, readFileSync(path.join(REPO_ROOT, file), 'utf8'))),
    );
    expect(found).toEqual([]);
  });

  it('the check finds each kind of change, and passes reads and comparisons', () => {
    const source = [
      "vi.mock('node:fs');",
      "vi.stubEnv('CI', 'true');",
      'vi.useFakeTimers();',
      "process.chdir('/tmp');",
      "process.env.CI = 'true';",
      "process.env['PORT'] = '1';",
      'delete process.env.CI;',
      'Object.assign(process.env, { CI: "1" });',
      'globalThis.fetch = undefined;',
      'startTelemetry({ env: {} });',
      // Reads and comparisons are fine:
      "const ci = process.env.CI === 'true';",
      'const env = { ...process.env, CI: "1" };',
      "if (globalThis.fetch == null) throw new Error('no fetch');",
    ].join('\n');
    expect(stateChanges('x.test.ts', source)).toEqual([
      'x.test.ts:1: a vi mock, stub or fake timer',
      'x.test.ts:2: a vi mock, stub or fake timer',
      'x.test.ts:3: a vi mock, stub or fake timer',
      'x.test.ts:4: process.chdir',
      'x.test.ts:5: an assignment to process.env',
      'x.test.ts:6: an assignment to process.env',
      'x.test.ts:7: a delete from process.env',
      'x.test.ts:8: Object.assign onto process.env',
      'x.test.ts:9: an assignment to globalThis',
      'x.test.ts:10: a global OpenTelemetry provider, context manager or propagator',
    ]);
  });
});
