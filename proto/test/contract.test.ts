import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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

  it('keeps the committed generated types identical to what the .proto generates', () => {
    generate(tmp);
    const committed = path.join(PROTO_ROOT, 'src/generated');
    const files = listFiles(committed).sort();
    expect(listFiles(tmp).sort()).toEqual(files);
    for (const file of files) {
      expect(readFileSync(path.join(tmp, file), 'utf8'), file).toBe(
        readFileSync(path.join(committed, file), 'utf8'),
      );
    }
  });

  it('passes buf lint (STANDARD rules)', () => {
    expect(() => execFileSync('npx', ['buf', 'lint'], { cwd: PROTO_ROOT, stdio: 'pipe' })).not.toThrow();
  });
});
