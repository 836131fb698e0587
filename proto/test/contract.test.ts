import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script (the generator's own CLI), no type declarations
import { generate } from '../generate.mjs';
import {
  healthServiceDefinition,
  ITEMS_SERVICE_NAME,
  itemsServiceDefinition,
  PROTO_ROOT,
} from '../src/index';

const tmp = mkdtempSync(path.join(tmpdir(), 'proto-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
  });
}

/** Whether task `from` waits for task `to`, directly or through other tasks of the plan. */
function dependsOn(tasks: { taskId: string; dependencies: string[] }[], from: string, to: string): boolean {
  const byId = new Map(tasks.map((task) => [task.taskId, task.dependencies]));
  const seen = new Set<string>();
  const walk = (id: string): boolean =>
    (byId.get(id) ?? []).some((dep) => dep === to || (!seen.has(dep) && seen.add(dep) && walk(dep)));
  return walk(from);
}

describe('gRPC contracts', () => {
  it('exposes every ItemsService method with its gRPC path and streaming shape', () => {
    const service = itemsServiceDefinition();
    expect(Object.keys(service).sort()).toEqual(
      ['CreateItem', 'DeleteItem', 'ExportItems', 'GetItem', 'ListItems', 'UpdateItem'].sort(),
    );
    expect(service.GetItem.path).toBe(`/${ITEMS_SERVICE_NAME}/GetItem`);
    expect(service.ExportItems.responseStream).toBe(true);
    expect(service.GetItem.responseStream).toBe(false);
  });

  it('exposes grpc.health.v1.Health as the standard protocol defines it (Check, List, server-streaming Watch)', () => {
    const service = healthServiceDefinition();
    expect(Object.keys(service).sort()).toEqual(['Check', 'List', 'Watch']);
    expect(service.Check.path).toBe('/grpc.health.v1.Health/Check');
    expect(service.Watch.responseStream).toBe(true);
    const decoded = service.Check.responseDeserialize(
      service.Check.responseSerialize({ status: 'NOT_SERVING' }),
    );
    expect(decoded).toEqual({ status: 'NOT_SERVING' });
  });

  it('puts health messages on the wire exactly as every standard health client reads them', () => {
    const { Check } = healthServiceDefinition();
    // HealthCheckRequest.service is field 1 (length-delimited); HealthCheckResponse.status is field 1
    // (varint) with SERVING = 1 and SERVICE_UNKNOWN = 3.
    expect([...Check.requestSerialize({ service: 'store.v1' })]).toEqual([
      0x0a,
      8,
      ...Buffer.from('store.v1'),
    ]);
    expect([...Check.responseSerialize({ status: 'SERVING' })]).toEqual([0x08, 1]);
    expect([...Check.responseSerialize({ status: 'SERVICE_UNKNOWN' })]).toEqual([0x08, 3]);
  });

  it('src/generated holds what the .proto files generate now (run `npm run generate -w @pr-canary/proto` when it does not)', () => {
    generate(tmp);
    const generated = path.join(PROTO_ROOT, 'src/generated');
    const files = listFiles(generated).sort();
    expect(listFiles(tmp).sort()).toEqual(files);
    for (const file of files) {
      expect(readFileSync(path.join(tmp, file), 'utf8'), file).toBe(
        readFileSync(path.join(generated, file), 'utf8'),
      );
    }
  });

  it('leaves src/generated holding exactly what the contracts generate — no types of a contract taken out, unchanged files untouched; another --outDir keeps what else it holds', () => {
    // A copy of this folder whose parent lends it the repository's node_modules, as the real one has.
    const copy = path.join(tmp, 'stale', 'proto');
    mkdirSync(path.join(copy, 'src/generated'), { recursive: true });
    symlinkSync(
      path.resolve(__dirname, '../../node_modules'),
      path.join(tmp, 'stale', 'node_modules'),
      'dir',
    );
    cpSync(path.resolve(__dirname, '../generate.mjs'), path.join(copy, 'generate.mjs'));
    cpSync(path.resolve(__dirname, '../store'), path.join(copy, 'store'), { recursive: true });
    writeFileSync(path.join(copy, 'src/generated/ledger.ts'), '// types of a contract taken out\n');
    const elsewhere = path.join(tmp, 'stale', 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'keep.txt'), 'not the generator’s\n');

    execFileSync(process.execPath, ['generate.mjs'], { cwd: copy, stdio: 'pipe' });
    execFileSync(process.execPath, ['generate.mjs', `--outDir=${elsewhere}`], { cwd: copy, stdio: 'pipe' });

    const generated = listFiles(path.join(copy, 'src/generated'));
    expect(generated).toContain('store.ts');
    expect(generated).not.toContain('ledger.ts');
    // Run again with nothing changed: no file is rewritten (builds and the compiled-test setup compare times).
    const storeTypes = path.join(copy, 'src/generated/store.ts');
    const written = statSync(storeTypes).mtimeMs;
    execFileSync(process.execPath, ['generate.mjs'], { cwd: copy, stdio: 'pipe' });
    expect(statSync(storeTypes).mtimeMs).toBe(written);
    expect(listFiles(path.join(copy, 'src/generated')).sort()).toEqual(generated.sort());
    expect(listFiles(elsewhere)).toEqual(expect.arrayContaining(['keep.txt', 'store.ts']));
  });

  it('is generated, not committed: git ignores src/generated and turbo generates it before every build, typecheck and test', () => {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: PROTO_ROOT, encoding: 'utf8' });
    expect(git('ls-files', 'src/generated')).toBe('');
    expect(git('check-ignore', 'src/generated/store.ts').trim()).toBe('src/generated/store.ts');
    // A workspace that reads the types (api-service, through the store client) gets them first.
    const turbo = createRequire(__filename).resolve('turbo/bin/turbo');
    for (const task of ['build', 'typecheck', 'test']) {
      const plan = JSON.parse(
        execFileSync(
          process.execPath,
          [turbo, 'run', task, '--filter=@pr-canary/api-service', '--dry=json'],
          {
            cwd: path.join(PROTO_ROOT, '..'),
            encoding: 'utf8',
            env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
          },
        ),
      ) as { tasks: { taskId: string; dependencies: string[] }[] };
      const generateTask = plan.tasks.find((t) => t.taskId === '@pr-canary/proto#generate');
      expect(generateTask, task).toBeDefined();
      const ownTask = plan.tasks.find((t) => t.taskId === `@pr-canary/api-service#${task}`);
      expect(dependsOn(plan.tasks, ownTask?.taskId ?? '', '@pr-canary/proto#generate'), task).toBe(true);
    }
  });

  it('passes buf lint (STANDARD rules)', () => {
    expect(() => execFileSync('npx', ['buf', 'lint'], { cwd: PROTO_ROOT, stdio: 'pipe' })).not.toThrow();
  });
});
