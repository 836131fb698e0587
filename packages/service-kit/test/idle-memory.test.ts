import * as path from 'node:path';
import { startServiceProcess } from '@pr-canary/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CHECK_EVERY_MS, QUIET_SPELL_MS } from './fixtures/idle-memory';

const PACKAGE_ROOT = path.resolve(__dirname, '..');

interface Report {
  grownAtStart: number;
  afterStart: number;
  grownByLoad: number;
  afterLoad: number;
  quietBeforeReductionMs: number | null;
  gcGlobal: string;
}

describe('idle memory reducer (a real process, V8 heap statistics)', () => {
  it('gives back what start-up grew at once, and what a busy spell grew only after a whole quiet spell, with no gc global', async () => {
    const fixture = startServiceProcess({
      cwd: PACKAGE_ROOT,
      script: 'test/fixtures/idle-memory.ts',
      preload: [],
      env: {},
    });
    onTestFinished(() => fixture.stop());
    const code = await fixture.exited;
    if (code !== 0) throw new Error(`fixture exited with ${code}: ${fixture.stderr()}`);
    const report = fixture.logs.at(-1) as unknown as Report;
    // The young generation alone grows to 2 × 16 MB; a memory-reducing collection releases most of it
    // (an ordinary full collection keeps the semi-spaces: ~15 % less at best).
    expect(report.afterStart).toBeLessThan(report.grownAtStart / 2);
    // At least half of what the busy spell grew above the post-start heap is given back (how much load
    // grows the heap varies with when V8's own collections ran; what was grown is what is judged).
    expect(report.afterLoad).toBeLessThan(report.afterStart + (report.grownByLoad - report.afterStart) / 2);
    // Not at the first idle check: a heap reduced after load serves the next burst at 30–60 % more CPU
    // per request, so a pause between bursts must not trigger it. The check that saw the busy spell
    // end counts as busy, so the reduction comes a whole quiet spell after the last busy check.
    expect(report.quietBeforeReductionMs).toBeGreaterThanOrEqual(QUIET_SPELL_MS - CHECK_EVERY_MS);
    expect(report.gcGlobal).toBe('undefined');
  });
});
