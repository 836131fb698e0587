/**
 * What does a store hop cost? GET /api/items/:id through the whole stack (api → gRPC →
 * real store → dynalite) against GET /healthz (no store call) on the same api, in the same run,
 * with plain keep-alive HTTP loops. Everything runs in this one process, so the figures are a
 * relative measure for this machine, not a capacity number. Bounded to well under 30 s.
 */
import { Agent, request } from 'node:http';
import { startDynalite } from '@pr-canary/test-support';
import { apiConfig, createTable, type RunningApi, startApi, startStore } from '../test/stack';

const CONNECTIONS = 16;
const WARMUP_MS = 1_000;
const MEASURE_MS = 5_000;

interface Result {
  label: string;
  requests: number;
  errors: number;
  /** Status codes other than 200, with their counts. */
  failures: Map<number, number>;
  seconds: number;
  latenciesMs: number[];
}

function get(agent: Agent, baseUrl: URL, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: baseUrl.hostname, port: baseUrl.port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** CONNECTIONS loops, each sending the next request as soon as the previous answer ended. */
async function load(api: RunningApi, label: string, path: string, durationMs: number): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const baseUrl = new URL(api.baseUrl);
  const result: Result = {
    label,
    requests: 0,
    errors: 0,
    failures: new Map(),
    seconds: durationMs / 1000,
    latenciesMs: [],
  };
  const stopAt = performance.now() + durationMs;
  const loop = async (connection: number) => {
    const headers = { 'x-canary': String(connection + 1) };
    while (performance.now() < stopAt) {
      const started = performance.now();
      const status = await get(agent, baseUrl, path, headers);
      result.latenciesMs.push(performance.now() - started);
      if (status === 200) result.requests += 1;
      else {
        result.errors += 1;
        result.failures.set(status, (result.failures.get(status) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => loop(i)));
  agent.destroy();
  return result;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summarise(result: Result) {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return {
    route: result.label,
    'req/s': Math.round(result.requests / result.seconds),
    'p50 ms': Number(percentile(sorted, 50).toFixed(2)),
    'p99 ms': Number(percentile(sorted, 99).toFixed(2)),
    errors: result.errors,
    'error statuses': [...result.failures].map(([status, count]) => `${status}×${count}`).join(' '),
  };
}

async function main(): Promise<void> {
  const db = await startDynalite();
  const table = await createTable(db.endpoint);
  const store = await startStore({ endpoint: db.endpoint, table });
  const api = await startApi(apiConfig({ STORE_ADDR: store.addr, LOG_LEVEL: 'silent' }));
  try {
    const created = await api.app.inject({
      method: 'POST',
      url: '/api/items',
      payload: { name: 'bench item', description: 'read over and over', priceCents: 100 },
    });
    const itemPath = `/api/items/${(created.json() as { id: string }).id}`;

    await load(api, 'warmup', itemPath, WARMUP_MS);
    const baseline = summarise(await load(api, 'GET /healthz (no store call)', '/healthz', MEASURE_MS));
    const fullStack = summarise(
      await load(api, 'GET /api/items/:id (api → store → dynalite)', itemPath, MEASURE_MS),
    );

    console.log(`api-service bench: ${CONNECTIONS} keep-alive connections, ${MEASURE_MS / 1000} s per route`);
    console.table([baseline, fullStack]);
    console.log(
      `full stack / baseline: throughput ×${(fullStack['req/s'] / baseline['req/s']).toFixed(3)}, ` +
        `p50 ×${(fullStack['p50 ms'] / baseline['p50 ms']).toFixed(1)}, ` +
        `p99 ×${(fullStack['p99 ms'] / baseline['p99 ms']).toFixed(1)}`,
    );
    if (baseline.errors + fullStack.errors > 0) process.exitCode = 1;
  } finally {
    await api.close();
    await store.close();
    await db.close();
  }
}

void main();
