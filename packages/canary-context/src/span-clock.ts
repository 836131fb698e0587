/**
 * Span times with the monotonic clock's resolution. The OTel SDK stamps a span's start with
 * `Date.now()` (whole milliseconds) and only its duration with `performance.now()`, so every start
 * in a waterfall sat on a millisecond boundary: a 3 ms request's bars were placed up to 1 ms off, and
 * a child could seem to end after its parent. Here a span starts and ends at `performance.now()` on
 * a wall-clock anchor, so offsets within a process are as exact as durations.
 *
 * The anchor (wall time minus monotonic time) is measured once, at the first span: `Date.now()`
 * truncates, so a single reading is up to 1 ms off; read at the moment it ticks over to the next
 * millisecond (a spin of at most 1 ms, once per process), it is exact to within the spin's period.
 * Later readings only check it: one that strays over a millisecond further than truncation explains
 * means the wall clock was set (a step; NTP's slewing moves both clocks alike), and the anchor is
 * measured again.
 */
import type { HrTime } from '@opentelemetry/api';

const NANOS_PER_MILLI = 1_000_000;
const MILLIS_PER_SECOND = 1_000;

export interface SpanClock {
  /** Now, as OTel's `[seconds, nanoseconds]` since the Unix epoch. */
  now(): HrTime;
}

/**
 * How far a reading may stray from the anchor before it counts as the wall clock being set: above it
 * by the time between the two reads (a GC pause there, say), below it by Date.now()'s truncation too.
 * Measuring again spins up to 1 ms on a request's path, so only a jump of over a millisecond does it.
 */
const TOLERANCE_MS = 1;

export function createSpanClock(
  wallMillis: () => number = Date.now,
  monotonicMillis: () => number = () => performance.now(),
): SpanClock {
  /** Wall minus monotonic, read as `Date.now()` ticks: it ticks within 1 ms, so the spin ends by then. */
  function measureAnchor(): number {
    const before = wallMillis();
    const start = monotonicMillis();
    for (;;) {
      const monotonic = monotonicMillis();
      const wall = wallMillis();
      if (wall !== before || monotonic - start > 1.5) return wall - monotonic;
    }
  }
  let anchor: number | undefined;
  return {
    now() {
      const monotonic = monotonicMillis();
      const reading = wallMillis() - monotonic;
      if (anchor === undefined || reading > anchor + TOLERANCE_MS || reading < anchor - 1 - TOLERANCE_MS)
        anchor = measureAnchor();
      const millis = anchor + monotonic;
      const seconds = Math.floor(millis / MILLIS_PER_SECOND);
      const nanos = Math.min(
        Math.round((millis - seconds * MILLIS_PER_SECOND) * NANOS_PER_MILLI),
        MILLIS_PER_SECOND * NANOS_PER_MILLI - 1,
      );
      return [seconds, nanos];
    },
  };
}

/** The clock every span of this package starts and ends on. */
export const spanClock: SpanClock = createSpanClock();
