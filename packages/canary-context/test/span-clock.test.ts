import type { HrTime } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createSpanClock } from '../src/span-clock';

/** A wall clock that truncates to whole milliseconds, as Date.now() does, over a monotonic one. */
function clocks(startWall: number, startMonotonic = 1_000.25) {
  let offset = startWall - startMonotonic; // the true wall - monotonic anchor
  let monotonic = startMonotonic;
  return {
    clock: createSpanClock(
      () => Math.floor(offset + monotonic),
      // Time passes as the clock is read (a microsecond a reading), as it does for performance.now().
      () => {
        monotonic += 0.001;
        return monotonic;
      },
    ),
    advance(ms: number) {
      monotonic += ms;
    },
    stepWall(ms: number) {
      offset += ms;
    },
    trueMillis: () => offset + monotonic,
  };
}

const millis = ([seconds, nanos]: HrTime) => seconds * 1_000 + nanos / 1e6;

describe('span clock', () => {
  it('keeps the monotonic clock’s fraction of a millisecond that Date.now() truncates', () => {
    const c = clocks(1_764_561_600_123.75);
    const before = c.trueMillis();
    const first = millis(c.clock.now());
    expect(Math.abs(first - before)).toBeLessThan(0.01);
    c.advance(0.3);
    const second = millis(c.clock.now());
    expect(second % 1).not.toBe(0);
    expect(Math.abs(c.trueMillis() - second)).toBeLessThan(0.01);
  });

  it('is within microseconds of the true time from the first reading on, wherever in a millisecond it starts', () => {
    for (const start of [0.001, 0.5, 0.9, 0.999]) {
      const c = clocks(1_764_561_600_000 + start);
      for (let i = 0; i < 20; i++) {
        c.advance(0.37);
        expect(Math.abs(c.trueMillis() - millis(c.clock.now()))).toBeLessThan(0.01);
      }
    }
  });

  it('follows the wall clock when it is set back or forward', () => {
    const c = clocks(1_764_561_600_000.5);
    c.clock.now();
    c.stepWall(-5_000);
    c.advance(1);
    expect(Math.abs(c.trueMillis() - millis(c.clock.now()))).toBeLessThan(0.01);
    c.stepWall(60_000);
    c.advance(1);
    expect(Math.abs(c.trueMillis() - millis(c.clock.now()))).toBeLessThan(0.01);
  });

  it('answers OTel HrTime: whole seconds and nanoseconds below one second', () => {
    const c = clocks(1_764_561_600_999.99);
    for (let i = 0; i < 50; i++) {
      c.advance(0.0137);
      const [seconds, nanos] = c.clock.now();
      expect(Number.isInteger(seconds) && Number.isInteger(nanos)).toBe(true);
      expect(nanos).toBeGreaterThanOrEqual(0);
      expect(nanos).toBeLessThan(1e9);
    }
  });
});
