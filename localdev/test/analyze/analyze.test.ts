import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Verdict } from '@pr-canary/canary-analysis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../src/stack/stack';
import { runCanaryCli, runCanaryInProcess } from '../helper';

/**
 * `pr-canary analyze` on the real stack (stable + PR 42 api and store, real processes): a PR whose store
 * answers 20 % errors fails, one whose store adds 100 ms fails, a clean one passes — with faults set at
 * start (`--fault`) and changed while it runs (`pr-canary fault`, through the control endpoint). Bounded:
 * 130 requests per side (the least that can tell a 5-point error rise), 4 in flight.
 */

/** How often a clean PR is analysed while the verdict says "cannot tell" (machine noise), at most. */
const MAX_ATTEMPTS_WHEN_UNSURE = 4;

let stack: Stack;
const output: string[] = [];
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'localdev-analyze-'));
  stack = await startStack({
    canaries: [{ pr: '42', services: ['api-service', 'store-service'], version: '0.1.0-pr42' }],
    faults: [{ service: 'store-service', track: 'pr-42', spec: 'error-rate=0.2' }],
    log: (line) => output.push(line),
    readyTimeoutMs: 15_000,
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function analyze(...flags: string[]): Promise<{ code: number; verdict: Verdict }> {
  const file = path.join(dir, `verdict-${Date.now()}.json`);
  const result = await runCanaryInProcess([
    'analyze',
    '--pr',
    '42',
    '--control',
    stack.urls.control,
    '--requests',
    '130',
    '--concurrency',
    '4',
    '--json',
    file,
    ...flags,
  ]);
  expect(result.stderr).toBe('');
  return { code: result.code, verdict: JSON.parse(readFileSync(file, 'utf8')) as Verdict };
}

function hop(verdict: Verdict, name: string) {
  const found = verdict.hops.find((h) => h.hop === name);
  if (!found) throw new Error(`no hop ${name}`);
  return found;
}

async function fault(spec: string) {
  const result = await runCanaryInProcess(['fault', `42:store:${spec}`, '--control', stack.urls.control]);
  expect(result).toMatchObject({ code: 0, stderr: '' });
}

describe('pr-canary analyze on the real stack', () => {
  it('fails PR 42 while its store answers 20 % errors (set at start), starting at store-service', async () => {
    const { code, verdict } = await analyze();
    expect(code).toBe(1);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.origin).toBe('store-service');
    const store = hop(verdict, 'store-service');
    expect(store.pr.track).toBe('pr-42');
    expect(store.pr.errorRate).toBeGreaterThan(0.1);
    expect(store.stable.errorRate).toBe(0);
    expect(store.checks.find((c) => c.kind === 'error-rate')?.outcome).toBe('fail');
    // The Flagger Canary's gate on the same series would stop it too.
    expect(store.flagger.find((g) => g.template === 'grpc-error-rate')?.pass).toBe(false);
    expect(hop(verdict, 'edge').outcome).toBe('fail');
    // The faults are visible as injected: counted, and logged by the instance.
    const metricsPort = stack
      .instances()
      .find((i) => i.service === 'store-service' && i.track === 'pr-42')?.metricsPort;
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/pr_canary_injected_faults_total\{kind="error",track="pr-42"\} [1-9]/);
    expect(output.some((line) => line.includes('store pr-42') && line.includes('injected fault'))).toBe(true);
  });

  it('passes PR 42 once fixed (pr-canary fault 42:store:none), and the web UI gets the verdict', async () => {
    await fault('none');
    // A clean PR is never judged failing. "Cannot tell" (exit 3) is an honest answer on a loaded
    // machine — with 130 calls a side, p99 rests on the slowest two, and the histograms' buckets are
    // 150 ms wide past 100 ms — so the test asks again, as a user would, until the verdict is decided.
    const attempts: Verdict[] = [];
    let result = await analyze();
    attempts.push(result.verdict);
    while (result.verdict.outcome === 'inconclusive' && attempts.length < MAX_ATTEMPTS_WHEN_UNSURE) {
      expect(result.code).toBe(3);
      result = await analyze();
      attempts.push(result.verdict);
    }
    const { code, verdict } = result;
    expect(attempts.flatMap((v) => v.hops.filter((h) => h.outcome === 'fail').map((h) => h.hop))).toEqual([]);
    expect(verdict.hops.map((h) => [h.hop, h.outcome])).toEqual([
      ['edge', 'pass'],
      ['api-service', 'pass'],
      ['store-service', 'pass'],
    ]);
    expect(code).toBe(0);
    const served = await (await fetch(`${stack.urls.control}/verdicts/42`)).json();
    expect(served).toMatchObject({ pr: '42', outcome: 'pass', createdAt: verdict.createdAt });
  });

  it('fails PR 42 when its store adds 100 ms (at p99 and everywhere else), on latency', async () => {
    await fault('latency=100ms');
    const { code, verdict } = await analyze();
    expect(code).toBe(1);
    expect(verdict.origin).toBe('store-service');
    const store = hop(verdict, 'store-service');
    const latency = store.checks.find((c) => c.kind === 'latency');
    expect(latency?.outcome).toBe('fail');
    // Every PR call waited the 100 ms, so its p99 did too; stable's p99 is whatever the machine's
    // worst moments made it (on a loaded 2-core run, 75 ms), so the p99 difference proves nothing
    // more. The middle of the distribution moved by most of the 100 ms.
    expect(store.pr.p99Ms).toBeGreaterThanOrEqual(100);
    expect(latency?.difference.p50Ms).toBeGreaterThan(50);
    // A lasting change: both halves of the run show it (a stall of one process would show in one).
    expect(latency?.halves?.map((half) => (half.p50Ms ?? 0) > 25)).toEqual([true, true]);
    expect(hop(verdict, 'store-service').checks.find((c) => c.kind === 'error-rate')?.outcome).toBe('pass');
  });

  it('fails a named RPC on purpose and says so; the real bin sets it and refuses bad input', async () => {
    const set = await runCanaryCli(['fault', '42:store:fail=ListItems', '--control', stack.urls.control]);
    expect(set).toMatchObject({ code: 0, stdout: 'store-service pr-42: fail=ListItems\n' });
    const list = await fetch(`${stack.urls.api}/api/items`, { headers: { 'x-canary': '42' } });
    expect(list.status).toBe(503);
    expect((await fetch(`${stack.urls.api}/api/items`)).status).toBe(200);
    // The store's log says it was on purpose (the api answers its usual "store unavailable").
    expect(
      output.some(
        (line) =>
          line.includes('store pr-42') && line.includes('injected fault') && line.includes('ListItems'),
      ),
    ).toBe(true);
    const unknown = await runCanaryInProcess([
      'fault',
      '42:store:fail=DropTable',
      '--control',
      stack.urls.control,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /fail= names a call this instance does not serve \(it serves: .*ListItems/,
    );
    const bad = await runCanaryInProcess([
      'fault',
      '42:store:error-rate=1.5',
      '--control',
      stack.urls.control,
    ]);
    expect(bad).toMatchObject({
      code: 2,
      stderr: 'pr-canary: error-rate must be a fraction from 0 to 1, or a percentage such as 20%\n',
    });
    await fault('none');
  });

  it('cannot tell when requests it did not send reach the stack during the run, and says how many (exit 3)', async () => {
    // Someone else's traffic on stable's side while analyze runs (the web UI, curl in a loop): the
    // series are told apart by the canary label only, so the run's figures would include it.
    let running = true;
    const others = (async () => {
      let sent = 0;
      while (running) {
        await (await fetch(`${stack.urls.api}/api/items?limit=1`)).arrayBuffer();
        sent++;
      }
      return sent;
    })();
    const result = await analyze().finally(() => {
      running = false;
    });
    expect(await others).toBeGreaterThan(10);
    expect(result.code).toBe(3);
    expect(result.verdict.outcome).toBe('inconclusive');
    expect(result.verdict.summary).toMatch(
      /^Cannot tell whether PR 42 is worse than stable: requests this run did not send reached the stack while it ran \(api-service counted \d+ stable calls where this run sent 130\)/,
    );
  });
});
