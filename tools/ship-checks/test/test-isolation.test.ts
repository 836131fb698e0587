/**
 * Workspaces whose vitest config uses `SHARED_WORKER` (vitest.shared.mts) run all their test files in
 * one worker, with the modules of one file still loaded when the next runs; `sharedWorkerExcept` does
 * so for all but the files it names. That is sound only while no test changes process state another
 * file could see: the environment, globals, timers, mocks, the working folder. This holds their tests
 * (and test helpers) that share a worker to it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
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

interface SharingWorkspace {
  dir: string;
  /** Its test files that run in a process of their own (`sharedWorkerExcept`), relative to `dir`. */
  ownProcess: readonly string[];
}

interface TestOptions {
  isolate?: boolean;
  include?: string[];
  projects?: { test?: TestOptions }[];
}

/** Whether the workspace's vitest config shares a worker between test files, and which files it keeps apart. */
async function sharingOf(dir: string): Promise<SharingWorkspace | undefined> {
  const file = path.join(REPO_ROOT, dir, 'vitest.config.mts');
  if (!existsSync(file)) return undefined;
  const { default: config } = (await import(pathToFileURL(file).href)) as { default: { test?: TestOptions } };
  const test = config.test ?? {};
  if (test.isolate === false) return { dir, ownProcess: [] };
  const projects = test.projects ?? [];
  if (!projects.some((project) => project.test?.isolate === false)) return undefined;
  const ownProcess = projects
    .filter((project) => project.test?.isolate !== false)
    .flatMap((project) => project.test?.include ?? []);
  return { dir, ownProcess };
}

let sharing: SharingWorkspace[] = [];
beforeAll(async () => {
  const found = await Promise.all(
    readWorkspaces(REPO_ROOT).map((workspace: { dir: string }) => sharingOf(workspace.dir)),
  );
  sharing = found.filter((workspace): workspace is SharingWorkspace => workspace !== undefined);
});

describe('workspaces whose test files share one worker', () => {
  it('are every one whose tests leave process state alone (files that set env, fake timers or start telemetry in-process run apart: store-service 2, service-kit 3)', () => {
    expect(sharing.map(({ dir, ownProcess }) => [dir, ownProcess.length]).sort()).toEqual([
      ['apps/api-service', 0],
      ['apps/store-service', 2],
      ['apps/web', 0],
      ['extension-canary', 0],
      ['localdev', 0],
      ['manifests', 0],
      ['packages/canary-analysis', 0],
      ['packages/canary-context', 0],
      ['packages/contracts', 0],
      ['packages/local-kit', 0],
      ['packages/service-kit', 3],
      ['packages/test-support', 0],
      ['tools/ship-checks', 0],
    ]);
  });

  it('change no process state in a test or a test helper', () => {
    const found = sharing.flatMap(({ dir, ownProcess }) =>
      sourceFiles(path.join(REPO_ROOT, dir, 'test'))
        .filter((file) => !ownProcess.includes(path.relative(path.join(REPO_ROOT, dir), file)))
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
