import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/**
 * Gives V8's memory back once a service is idle: right after start-up, and again after a long quiet
 * spell (5 minutes) that followed a busy one which grew the heap.
 *
 * Why: start-up and load grow V8's young generation (two semi-spaces, up to 16 MB each) and the old
 * generation's pages; V8 shrinks them only in a memory-reducing collection, and an idle process never
 * triggers one (measured: an idle api stays at 95 MB for minutes). Capping the semi-spaces instead
 * (`--max-semi-space-size`) keeps idle RSS down but costs throughput under load, all the time. This
 * costs one full collection (tens of ms of CPU) when the service has nothing else to do.
 *
 * Why only after a long quiet spell, not after any idle interval (as before, Nov 2026): a process whose
 * heap was reduced after load serves the next load at 30–60 % more CPU per request (api + store,
 * `GET /api/items/:id`, interleaved with an identical pair that was not reduced) until ~30 s of load
 * have grown its heap and limits back — an ordinary full collection (`gc({ type: 'major' })`) did the
 * same. Reducing after every 10 s pause made a service with bursty traffic pay that on each burst.
 * The reduction right after start-up costs nothing measurable (nothing is warm yet): it stays.
 *
 * The collection is V8's own "last resort" flavour of `gc()` (what it runs under memory pressure:
 * full collections until nothing more is freed, then the young generation and free pages released).
 * `gc` comes from `--expose-gc` on the process's command line (the services' start command, the
 * stack's runner and dynalite); the reducer takes it and clears the global, so no other code calls
 * it. Without the flag there is no reduction. Not from a private `vm` context with the flag set for a
 * moment (as before): a second V8 context alive in the process made every request of the api cost
 * 60–75 % more CPU for as long as it lived (same-session A/B on `/api/route`).
 */

/** How often the reducer looks at the event loop (one timer, unref'd: 0.1 wake-ups a second). */
export const IDLE_CHECK_MS = 10_000;
/** How long a service must have been idle, every check in a row, before what load grew is given back. */
export const QUIET_SPELL_MS = 5 * 60_000;
/** An interval counts as idle below this event-loop utilisation (1 %: a scrape or a probe or two). */
const IDLE_UTILIZATION = 0.01;
/** Growth of V8's committed heap since the last collection that is worth giving back. */
const WORTH_REDUCING_BYTES = 4 * 1024 * 1024;

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let reducingGc: GcFunction | null | undefined;

/** V8's `gc` function, taken once from the global `--expose-gc` installs; null without the flag. */
function memoryReducingGc(): GcFunction | null {
  if (reducingGc !== undefined) return reducingGc;
  const global = globalThis as { gc?: unknown };
  reducingGc = typeof global.gc === 'function' ? (global.gc as GcFunction) : null;
  // The global is not configurable (no `delete`), but writable: nothing else gets to call it.
  if (reducingGc) global.gc = undefined;
  return reducingGc;
}

/** Runs one memory-reducing collection; false when the runtime has none. */
export function reduceMemory(): boolean {
  const gc = memoryReducingGc();
  if (!gc) return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}

export interface IdleMemoryReducer {
  stop(): void;
}

/**
 * Reduces memory once now (the caller has just finished starting: everything start-up allocated is
 * garbage or here to stay), then again once every check for {@link QUIET_SPELL_MS} in a row was idle
 * and the heap has grown by {@link WORTH_REDUCING_BYTES} since the last reduction.
 */
export function startIdleMemoryReducer(
  options: { checkEveryMs?: number; quietSpellMs?: number; reduce?: () => boolean } = {},
): IdleMemoryReducer {
  const reduce = options.reduce ?? reduceMemory;
  if (!reduce()) return { stop() {} };
  const checkEveryMs = options.checkEveryMs ?? IDLE_CHECK_MS;
  const quietChecksNeeded = Math.max(1, Math.ceil((options.quietSpellMs ?? QUIET_SPELL_MS) / checkEveryMs));
  let committedAfterReduction = getHeapStatistics().total_physical_size;
  let lastUtilization = performance.eventLoopUtilization();
  let quietChecks = 0;
  const timer = setInterval(() => {
    const interval = performance.eventLoopUtilization(lastUtilization);
    lastUtilization = performance.eventLoopUtilization();
    quietChecks = interval.utilization < IDLE_UTILIZATION ? quietChecks + 1 : 0;
    if (quietChecks < quietChecksNeeded) return;
    if (getHeapStatistics().total_physical_size - committedAfterReduction < WORTH_REDUCING_BYTES) return;
    reduce();
    committedAfterReduction = getHeapStatistics().total_physical_size;
    quietChecks = 0;
  }, checkEveryMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
