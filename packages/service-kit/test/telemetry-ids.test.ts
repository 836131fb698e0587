import { describe, expect, it } from 'vitest';
import { PooledIdGenerator } from '../src/telemetry-ids';

describe('PooledIdGenerator', () => {
  it('makes W3C trace and span ids: lowercase hex of 32 and 16 digits, none repeated', () => {
    const ids = new PooledIdGenerator();
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    // Many pools' worth, so ids are cut across refills.
    for (let i = 0; i < 5_000; i++) {
      traceIds.add(ids.generateTraceId());
      spanIds.add(ids.generateSpanId());
      spanIds.add(ids.generateSpanId());
    }
    expect(traceIds.size).toBe(5_000);
    expect(spanIds.size).toBe(10_000);
    for (const id of traceIds) expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (const id of spanIds) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('never hands out an all-zero id (invalid in W3C trace context)', () => {
    // The first pool is all zeros, later ones count up from 1: every id must come from a later pool.
    let pools = 0;
    const ids = new PooledIdGenerator((bytes) => {
      bytes.fill(0);
      if (pools++ > 0) for (let i = 0; i < bytes.length; i += 8) bytes.writeUInt32BE(i + 1, i + 4);
    });
    expect(ids.generateTraceId()).toBe('00000000000000010000000000000009');
    expect(ids.generateSpanId()).toBe('0000000000000011');
    expect(pools).toBe(2);
  });
});
