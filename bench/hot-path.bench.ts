/**
 * The hot path against bare baselines, each pair measured in interleaved rounds. Every server is its
 * own process (the real api and store exactly as `npm start` runs them; the baselines from
 * bench/procs), and so is every load generator (autocannon for HTTP, grpc-js for the store, the SDK
 * loop). Per round and variant: requests/s, p50/p99, and CPU ms per request of each process involved
 * (from /proc/<pid>/stat). A check's figure is the median over rounds of the same-round ratio.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LOCAL_TRACES_URL_VARIABLE } from '@pr-canary/service-kit/local-traces';
import {
  type Child,
  cpuMs,
  REPO_ROOT,
  runBenchScript,
  spawnBenchProcess,
  spawnNode,
  spawnService,
} from './lib/children';
import type { LoadCommand, LoadResult } from './lib/load-protocol';
import type { BenchCheck, BenchResult } from './lib/result';
import { median, round, spread } from './lib/stats';

/**
 * Many short rounds rather than a few long ones: on a 2-core machine a round's ratio moves with
 * whatever else the machine does for a second or two (in one quiet run `/healthz` went 0.94, 0.61,
 * 0.76 over three rounds), and the median of seven same-round ratios shrugs off three bad rounds
 * where the median of three shrugs off one. 22 variants × (1.5 s + 7 × 1.5 s) = 4.4 min of load; with
 * start-up and each run's own overhead the whole `npm run bench` takes about 5 min on a quiet machine.
 */
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 7);
const SECONDS = positiveNumber(process.env.BENCH_SECONDS, 1.5);
/** Per variant, before its scenario's first round (JIT, connections, V8 growing its young generation). */
const WARMUP_SECONDS = positiveNumber(process.env.BENCH_WARMUP_SECONDS, 1.5);
/** The warm-up, in this many rotated turns per variant. */
const WARMUP_TURNS = 3;
const HTTP_CONNECTIONS = 16;
const GRPC_CONCURRENCY = 16;
const SDK_CONCURRENCY = 10;
const TABLE = 'items';

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function positiveNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
}

type Loader = 'http' | 'grpc' | 'sdk';

interface Variant {
  label: string;
  loader: Loader;
  concurrency: number;
  target: Record<string, unknown>;
  /** The server-side processes whose CPU this variant costs. */
  processes: Child[];
  /** Instead of the scenario's goal (e.g. a second baseline, shown for information). */
  goal?: Goal;
}

/** A ratio or p50 difference against the scenario's baseline; without a bound it is shown for information. */
type Goal = { kind: 'ratio'; min?: number } | { kind: 'p50-delta'; maxMs?: number };

interface Scenario {
  name: string;
  goal: Goal;
  /** variants[0] is the baseline; every other one is compared with it. */
  variants: Variant[];
}

interface Sample extends LoadResult {
  rps: number;
  /** CPU ms per request, by process name (the load generator as `load`). */
  cpuPerRequest: Record<string, number>;
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = (text: string) =>
    process.stderr.write(`[hot-path ${((Date.now() - started) / 1000).toFixed(0)}s] ${text}\n`);
  const commonEnv = {
    SHUTDOWN_DRAIN_MS: '0',
    SERVICE_VERSION: '0.0.0-bench',
    CANARY_TRACK: 'stable',
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
  };

  log('starting dynalite, trace receiver, baselines and services');
  // Both as `npm start` runs them: compiled (localdev/dist, the receiver's @pr-canary/traces dist).
  const dynalite = spawnNode('dynalite', ['--expose-gc', 'dist/dynalite/main.js'], {
    cwd: path.join(REPO_ROOT, 'localdev'),
  });
  const receiver = spawnBenchProcess('trace-receiver');
  const dynamoPort = await port(dynalite);
  const endpoint = `http://127.0.0.1:${dynamoPort}`;
  const receiverUrl = `http://127.0.0.1:${await port(receiver)}`;

  const telemetryOff = { OTEL_SDK_DISABLED: 'true' };
  // As `npm start` traces: every request, to the local trace receiver.
  const telemetryOn = {
    [LOCAL_TRACES_URL_VARIABLE]: `${receiverUrl}/v1/traces`,
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_TRACES_SAMPLER: 'always_on',
  };
  const storeEnv = (telemetry: Record<string, string>) => ({
    ...commonEnv,
    ...telemetry,
    DYNAMODB_ENDPOINT: endpoint,
    DYNAMODB_TABLE: TABLE,
    DYNAMODB_CREATE_TABLE: 'true',
    AWS_REGION: 'us-east-1',
  });
  const store = spawnService('store', 'apps/store-service', storeEnv(telemetryOff));
  // The telemetry check compares a traced api + store with an untraced pair of its own, started alike:
  // `api` and `store` serve every other check first, and warm they cost ~30 % less CPU per request
  // than processes that served nothing yet — against them the traced pair would pay for being new.
  // A second untraced pair, the check's A/A control: its figure says how far two pairs started alike
  // differ in this run, so how far the traced pair's can be trusted (bench/README.md).
  const storeOff = spawnService('store-off', 'apps/store-service', storeEnv(telemetryOff));
  const storeOffAgain = spawnService('store-off-2', 'apps/store-service', storeEnv(telemetryOff));
  const storeOtel = spawnService('store-otel', 'apps/store-service', storeEnv(telemetryOn));
  const bareGrpc = spawnBenchProcess('bare-grpc', { DYNAMODB_ENDPOINT: endpoint, DYNAMODB_TABLE: TABLE });
  const [storePort, storeOffPort, storeOffAgainPort, storeOtelPort, bareGrpcPort] = await ports(
    store,
    storeOff,
    storeOffAgain,
    storeOtel,
    bareGrpc,
  );
  const apiEnv = (storePortNumber: number, telemetry: Record<string, string>) => ({
    ...commonEnv,
    ...telemetry,
    STORE_ADDR: `127.0.0.1:${storePortNumber}`,
  });
  const api = spawnService('api', 'apps/api-service', apiEnv(storePort, telemetryOff));
  const apiOff = spawnService('api-off', 'apps/api-service', apiEnv(storeOffPort, telemetryOff));
  const apiOffAgain = spawnService('api-off-2', 'apps/api-service', apiEnv(storeOffAgainPort, telemetryOff));
  const apiOtel = spawnService('api-otel', 'apps/api-service', apiEnv(storeOtelPort, telemetryOn));
  const bareHttp = spawnBenchProcess('bare-http', { GRPC_ADDR: `127.0.0.1:${bareGrpcPort}` });
  const [apiPort, apiOffPort, apiOffAgainPort, apiOtelPort, bareHttpPort] = await ports(
    api,
    apiOff,
    apiOffAgain,
    apiOtel,
    bareHttp,
  );
  // The dev router as `npm start` runs it: compiled localdev.
  const router = spawnBenchProcess('router', { API_PORT: String(apiPort), STORE_PORT: String(storePort) });
  const bareH2Proxy = spawnBenchProcess('bare-h2-proxy', { STORE_PORT: String(storePort) });
  const bareTcpRelay = spawnBenchProcess('bare-tcp-relay', { STORE_PORT: String(storePort) });
  const [routerLine, bareH2ProxyPort, bareTcpRelayPort] = await Promise.all([
    router.waitFor((line) => line.msg === 'listening'),
    port(bareH2Proxy),
    port(bareTcpRelay),
  ]);
  const loaders: Record<Loader, Child> = {
    http: spawnBenchProcess('load-http'),
    grpc: spawnBenchProcess('load-grpc'),
    sdk: spawnBenchProcess('load-sdk'),
  };
  await Promise.all(Object.values(loaders).map((child) => child.waitFor((line) => line.ready === true)));

  const id = await seedItem(`http://127.0.0.1:${apiPort}`);
  log(`seeded item ${id}`);

  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const apiOffUrl = `http://127.0.0.1:${apiOffPort}`;
  const apiOffAgainUrl = `http://127.0.0.1:${apiOffAgainPort}`;
  const apiOtelUrl = `http://127.0.0.1:${apiOtelPort}`;
  const bareUrl = `http://127.0.0.1:${bareHttpPort}`;
  const routerUrl = `http://127.0.0.1:${routerLine.port}`;
  const http = (label: string, url: string, processes: Child[], concurrency = HTTP_CONNECTIONS): Variant => ({
    label,
    loader: 'http',
    concurrency,
    target: { url },
    processes,
  });
  const grpcCall = (
    label: string,
    addr: string,
    call: 'health' | 'get',
    processes: Child[],
    concurrency = GRPC_CONCURRENCY,
  ): Variant => ({
    label,
    loader: 'grpc',
    concurrency,
    target: { addr, call, id },
    processes,
  });
  const getItemBody = JSON.stringify({
    TableName: TABLE,
    Key: { pk: { S: 'ITEM' }, sk: { S: id } },
    ConsistentRead: true,
  });

  const scenarios: Scenario[] = [
    {
      name: 'api `/healthz` ÷ bare Fastify',
      goal: { kind: 'ratio', min: 0.8 },
      variants: [
        http('bare Fastify', `${bareUrl}/healthz`, [bareHttp]),
        http('api', `${apiUrl}/healthz`, [api]),
      ],
    },
    {
      name: 'api `/api/route` ÷ bare Fastify → grpc-js',
      goal: { kind: 'ratio', min: 0.8 },
      variants: [
        http('bare Fastify → grpc-js', `${bareUrl}/api/route`, [bareHttp, bareGrpc]),
        http('api → store', `${apiUrl}/api/route`, [api, store]),
      ],
    },
    {
      name: 'api `GET /api/items/:id` ÷ bare Fastify → grpc-js → DynamoDB',
      goal: { kind: 'ratio', min: 0.9 },
      variants: [
        http('bare Fastify → grpc-js → SDK', `${bareUrl}/api/items/${id}`, [bareHttp, bareGrpc, dynalite]),
        http('api → store → SDK', `${apiUrl}/api/items/${id}`, [api, store, dynalite]),
      ],
    },
    {
      name: 'store GetItem ÷ bare grpc-js',
      goal: { kind: 'ratio', min: 0.9 },
      variants: [
        grpcCall('bare grpc-js → SDK', `127.0.0.1:${bareGrpcPort}`, 'get', [bareGrpc, dynalite]),
        grpcCall('store', `127.0.0.1:${storePort}`, 'get', [store, dynalite]),
      ],
    },
    {
      name: 'store Health/Check ÷ bare grpc-js',
      goal: { kind: 'ratio', min: 0.8 },
      variants: [
        grpcCall('bare grpc-js', `127.0.0.1:${bareGrpcPort}`, 'health', [bareGrpc]),
        grpcCall('store', `127.0.0.1:${storePort}`, 'health', [store]),
      ],
    },
    {
      name: 'full telemetry ÷ telemetry off (`GET /api/items/:id`)',
      goal: { kind: 'ratio', min: 0.85 },
      variants: [
        http('telemetry off', `${apiOffUrl}/api/items/${id}`, [apiOff, storeOff, dynalite]),
        http('OTel 100 % → OTLP, metrics, logs', `${apiOtelUrl}/api/items/${id}`, [
          apiOtel,
          storeOtel,
          dynalite,
          receiver,
        ]),
        {
          ...http('telemetry off again (A/A control)', `${apiOffAgainUrl}/api/items/${id}`, [
            apiOffAgain,
            storeOffAgain,
            dynalite,
          ]),
          goal: { kind: 'ratio' },
        },
      ],
    },
    {
      name: 'dev router HTTP hop: p50 added (`/healthz`, 1 connection)',
      goal: { kind: 'p50-delta', maxMs: 0.5 },
      variants: [
        http('api direct', `${apiUrl}/healthz`, [api], 1),
        http('via dev router', `${routerUrl}/healthz`, [api, router], 1),
      ],
    },
    {
      name: 'dev router gRPC hop: p50 added (Health/Check, 1 call at a time)',
      goal: { kind: 'p50-delta', maxMs: 0.5 },
      variants: [
        grpcCall('store direct', `127.0.0.1:${storePort}`, 'health', [store], 1),
        grpcCall('via dev router', `127.0.0.1:${String(routerLine.grpcPort)}`, 'health', [store, router], 1),
        // What any proxy on Node's http2 module adds: the floor under the dev router's figure.
        {
          ...grpcCall(
            'via bare Node HTTP/2 proxy',
            `127.0.0.1:${bareH2ProxyPort}`,
            'health',
            [store, bareH2Proxy],
            1,
          ),
          goal: { kind: 'p50-delta' },
        },
        // What the extra process and sockets cost without HTTP/2 parsed: the floor under any proxy.
        {
          ...grpcCall(
            'via bare TCP relay',
            `127.0.0.1:${bareTcpRelayPort}`,
            'health',
            [store, bareTcpRelay],
            1,
          ),
          goal: { kind: 'p50-delta' },
        },
      ],
    },
    {
      name: 'bare SDK GetItem ÷ raw dynalite',
      goal: { kind: 'ratio' },
      variants: [
        {
          label: 'raw dynalite (autocannon)',
          loader: 'http',
          concurrency: SDK_CONCURRENCY,
          target: {
            url: endpoint,
            method: 'POST',
            body: getItemBody,
            headers: {
              'content-type': 'application/x-amz-json-1.0',
              'x-amz-target': 'DynamoDB_20120810.GetItem',
              // dynalite checks that a SigV4 header is there, not the signature.
              'x-amz-date': '20260101T000000Z',
              authorization:
                'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
            },
          },
          processes: [dynalite],
        },
        {
          label: 'SDK defaults',
          loader: 'sdk',
          concurrency: SDK_CONCURRENCY,
          target: { endpoint, table: TABLE, id, client: 'sdk-defaults' },
          processes: [dynalite],
        },
        {
          label: "store's SDK client",
          loader: 'sdk',
          concurrency: SDK_CONCURRENCY,
          target: { endpoint, table: TABLE, id, client: 'store' },
          processes: [dynalite],
        },
      ],
    },
  ];

  // BENCH_ONLY=healthz,telemetry: the checks whose name contains any of these words.
  const only = (process.env.BENCH_ONLY ?? '')
    .toLowerCase()
    .split(',')
    .map((word) => word.trim())
    .filter((word) => word.length > 0);
  const chosen =
    only.length > 0
      ? scenarios.filter((s) => only.some((word) => s.name.toLowerCase().includes(word)))
      : scenarios;
  const measured: { scenario: Scenario; samples: Sample[][] }[] = [];
  let commandId = 0;
  const runLoad = async (variant: Variant, seconds: number): Promise<Sample> => {
    const loader = loaders[variant.loader];
    const before = variant.processes.map((child) => cpuMs(child));
    const command: LoadCommand = {
      id: ++commandId,
      durationMs: seconds * 1000,
      concurrency: variant.concurrency,
      target: variant.target,
    };
    const reply = loader.waitFor((line) => line.id === command.id, seconds * 1000 + 30_000);
    loader.send(command);
    const line = await reply;
    if (line.error) throw new Error(`${variant.label}: ${String(line.error)}`);
    const result = line.result as LoadResult;
    const after = variant.processes.map((child) => cpuMs(child));
    const cpuPerRequest: Record<string, number> = { load: result.cpuMs / Math.max(1, result.requests) };
    variant.processes.forEach((child, i) => {
      cpuPerRequest[child.name] =
        ((after[i] as number) - (before[i] as number)) / Math.max(1, result.requests);
    });
    return { ...result, rps: result.requests / result.seconds, cpuPerRequest };
  };

  for (const scenario of chosen) {
    log(scenario.name);
    // Rotate who goes first, so drift over time does not favour one side.
    const order = (r: number) => scenario.variants.map((_, i) => (i + r) % scenario.variants.length);
    // Warm-up rotates too, in short turns: warmed one after the other, the first of two identical pairs
    // went on to cost less CPU per request than the second (bench/README.md).
    for (let r = 0; r < WARMUP_TURNS; r++)
      for (const i of order(r)) await runLoad(scenario.variants[i] as Variant, WARMUP_SECONDS / WARMUP_TURNS);
    const samples: Sample[][] = scenario.variants.map(() => []);
    for (let r = 0; r < ROUNDS; r++)
      for (const i of order(r)) samples[i]?.push(await runLoad(scenario.variants[i] as Variant, SECONDS));
    measured.push({ scenario, samples });
  }

  await Promise.all(
    [
      api,
      apiOff,
      apiOffAgain,
      apiOtel,
      store,
      storeOff,
      storeOffAgain,
      storeOtel,
      bareHttp,
      bareGrpc,
      router,
      bareH2Proxy,
      bareTcpRelay,
      ...Object.values(loaders),
    ].map((c) => c.stop()),
  );
  // Last: the traced services flush their spans to the receiver (and DynamoDB calls finish) as they stop;
  // with the receiver gone the exporter retries until the grace period kills them, --cpu-prof unwritten.
  await Promise.all([receiver, dynalite].map((c) => c.stop()));
  const result = report(measured);
  const file = process.env.BENCH_RESULT_FILE;
  if (file) writeFileSync(file, JSON.stringify(result, null, 2));
  else process.stdout.write(`${result.markdown}\n`);
}

/** The listening ports of `children`, in order. */
function ports<const T extends readonly Child[]>(...children: T): Promise<{ [K in keyof T]: number }> {
  return Promise.all(children.map(port)) as Promise<{ [K in keyof T]: number }>;
}

async function port(child: Child): Promise<number> {
  return Number((await child.waitFor((line) => line.msg === 'listening')).port);
}

async function seedItem(apiUrl: string): Promise<string> {
  const response = await fetch(`${apiUrl}/api/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'bench item',
      description: 'read by every GET in the bench',
      priceCents: 450,
    }),
  });
  if (response.status !== 201)
    throw new Error(`seeding an item failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** The same-round figures of `variant` against the baseline: rps ratios, or p50 differences in ms. */
function perRound(samples: Sample[][], variant: number, goal: Goal): number[] {
  const base = samples[0] ?? [];
  return (samples[variant] ?? []).map((s, r) =>
    goal.kind === 'ratio' ? s.rps / (base[r]?.rps ?? Number.NaN) : s.p50Ms - (base[r]?.p50Ms ?? Number.NaN),
  );
}

function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function report(measured: { scenario: Scenario; samples: Sample[][] }[]): BenchResult {
  const checks: BenchCheck[] = [];
  const targetRows: string[] = [];
  const detailRows: string[] = [];
  const details: unknown[] = [];
  for (const { scenario, samples } of measured) {
    const base = scenario.variants[0] as Variant;
    scenario.variants.forEach((variant, i) => {
      const runs = samples[i] ?? [];
      const processNames = Object.keys(runs[0]?.cpuPerRequest ?? {});
      const cpu = processNames.map(
        (name) => `${name} ${fmt(median(runs.map((s) => s.cpuPerRequest[name] ?? Number.NaN)))}`,
      );
      const errors = runs.reduce((sum, s) => sum + s.errors, 0);
      detailRows.push(
        `| ${scenario.name} | ${variant.label} | ${fmt(median(runs.map((s) => s.rps)), 0)} | ${fmt(median(runs.map((s) => s.p50Ms)))} | ${fmt(median(runs.map((s) => s.p99Ms)))} | ${cpu.join(', ')} | ${errors} |`,
      );
      const goal = variant.goal ?? scenario.goal;
      const rounds = i === 0 ? [] : perRound(samples, i, goal);
      details.push({
        scenario: scenario.name,
        variant: variant.label,
        concurrency: variant.concurrency,
        rounds: runs,
        // Against the baseline, round by round: rps ratios, or p50 differences in ms.
        ...(i === 0 ? {} : { perRound: rounds.map((v) => round(v, 3)) }),
      });
      if (i === 0) return;
      const value = median(rounds);
      const range = spread(rounds, fmt);
      const unit = goal.kind === 'ratio' ? '×' : 'ms';
      const bound = goal.kind === 'ratio' ? goal.min : goal.maxMs;
      const target =
        bound === undefined ? '—' : goal.kind === 'ratio' ? `≥ ${fmt(bound)}` : `≤ ${fmt(bound)} ms`;
      const pass = bound === undefined || (goal.kind === 'ratio' ? value >= bound : value <= bound);
      const name = scenario.variants.length > 2 ? `${scenario.name} (${variant.label})` : scenario.name;
      if (bound !== undefined) checks.push({ name, value: round(value, 3), unit, target, pass });
      const figure = goal.kind === 'ratio' ? fmt(value) : `${fmt(value)} ms`;
      const verdict = bound === undefined ? 'info' : pass ? 'pass' : '**FAIL**';
      targetRows.push(
        `| ${name} | ${variant.label} vs ${base.label} | ${figure} | ${range} | ${target} | ${verdict} |`,
      );
    });
  }
  const markdown = [
    `Each figure: median over ${ROUNDS} interleaved rounds of ${SECONDS} s per variant (same-round ratio), load from separate processes (HTTP: autocannon, ${HTTP_CONNECTIONS} connections; gRPC: grpc-js, ${GRPC_CONCURRENCY} calls in flight; SDK: ${SDK_CONCURRENCY} loops).`,
    '',
    '| check | compared | figure | rounds (min–max) | target | result |',
    '| --- | --- | --- | --- | --- | --- |',
    ...targetRows,
    '',
    '| scenario | variant | req/s | p50 ms | p99 ms | CPU ms per request, by process | errors |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...detailRows,
  ].join('\n');
  return { title: 'Hot path against bare baselines', checks, markdown, details };
}

runBenchScript('hot-path bench', main);
