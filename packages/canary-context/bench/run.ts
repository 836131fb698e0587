/**
 * Throughput of the hot-path codecs against a trivial baseline measured in the same run, so the
 * ratios stay meaningful on a busy machine. Run: `npm run bench -w @pr-canary/canary-context`.
 */
import { parseCanaryKey } from '../src/key';
import { formatServedBy, parseServedBy, type ServedByEntry } from '../src/served-by';

const DURATION_MS = 400;
const ROUNDS = 3;

/** Ops/sec of `fn`: best of a few fixed-duration rounds (the best round suffers least from noise). */
function opsPerSecond(fn: (i: number) => unknown): number {
  let sink = 0;
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let ops = 0;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < DURATION_MS) {
      for (let i = 0; i < 1000; i++) if (fn(ops + i)) sink++;
      ops += 1000;
      elapsed = performance.now() - started;
    }
    best = Math.max(best, (ops / elapsed) * 1000);
  }
  if (sink === -1) console.log(sink); // keeps the results observable so nothing is optimised away
  return best;
}

const keys = ['42', '999999999', ' 7 ', '42, 42', '0042', 'abc', '1'.repeat(70)];
const chain: ServedByEntry[] = [
  { service: 'api-service', track: 'pr-42', version: '0.4.0' },
  { service: 'store-service', track: 'stable', version: '0.4.0' },
];
const formatted = formatServedBy(chain);
const PR_REGEX = /^[1-9][0-9]{0,8}$/;

const baseline = opsPerSecond((i) => PR_REGEX.test(keys[i % keys.length] as string));
const results = [
  ['baseline: PR regex test', baseline],
  ['parseCanaryKey (mixed valid/invalid)', opsPerSecond((i) => parseCanaryKey(keys[i % keys.length]).kind)],
  ['formatServedBy (2 hops)', opsPerSecond(() => formatServedBy(chain).length)],
  ['parseServedBy (2 hops)', opsPerSecond(() => parseServedBy(formatted).length)],
] as const;

console.log(`node ${process.version}, best of ${ROUNDS} x ${DURATION_MS} ms`);
for (const [name, ops] of results) {
  const ratio = baseline / ops;
  console.log(
    `${name.padEnd(40)} ${Math.round(ops).toLocaleString('en-US').padStart(14)} ops/s  ${ratio.toFixed(1)}x baseline cost`,
  );
}
