import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import * as grpc from '@grpc/grpc-js';
import {
  canaryServices,
  nodeServices,
  type ServiceEntry,
  serviceNamed,
  tableFor,
} from '@pr-canary/contracts/services';
import {
  type ExportItemsResponse__Output,
  healthClientConstructor,
  itemsServiceClientConstructor,
} from '@pr-canary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CANARIES, type Stack, startStack } from '../../src/stack/stack';
import { probeArgs, runCanaryCli, runCanaryInProcess } from '../helper';

/**
 * The real stack: dynalite, stable api + store, PR 42 (api + store), PR 7 (store only), the dev router —
 * real processes on free ports. One stack for the whole file; the tests that stop or kill canaries run last.
 */

let stack: Stack;
let dataDir: string;
/** A page the stack's edge allows (as it allows the web UI's origin). */
const PAGE_ORIGIN = 'http://page.test:5173';
const output: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'localdev-stack-'));
  stack = await startStack({
    dataDir,
    log: (line) => output.push(line),
    readyTimeoutMs: 15_000,
    corsOrigins: [PAGE_ORIGIN],
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface RouteBody {
  canary: string | null;
  warning: string | null;
  hops: { service: string; track: string; version: string }[];
}

async function route(key?: string) {
  const response = await fetch(`${stack.urls.api}/api/route`, {
    headers: key === undefined ? {} : { 'X-Canary': key },
  });
  const body = (await response.json()) as RouteBody;
  const tracks = Object.fromEntries(body.hops.map((hop) => [hop.service, hop.track]));
  return { response, body, tracks };
}

function api(pathname: string, key: string | undefined, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (key) headers.set('X-Canary', key);
  return fetch(`${stack.urls.api}${pathname}`, { ...init, headers });
}

/** The first `X-Served-By` / `x-served-by` entry: who answered. */
function servedBy(header: string | undefined | null): { service: string; track: string } | undefined {
  const match = /^([a-z0-9-]+);track="([^"]+)"/.exec(header ?? '');
  return match ? { service: match[1] ?? '', track: match[2] ?? '' } : undefined;
}

/** Calls `service` itself at its hop through the dev router and says who answered. */
async function callAtHop(
  service: ServiceEntry,
  key: string | undefined,
  authority?: string,
): Promise<{ service: string; track: string } | undefined> {
  if (service.hop === 'edge') {
    // Host picks the edge service, as Traefik's Host() rule does.
    const { port } = new URL(stack.urls.api);
    return new Promise((resolve, reject) => {
      const request = http.get(
        {
          host: '127.0.0.1',
          port,
          path: '/healthz',
          headers: { host: `${service.short}.localhost:${port}`, ...(key ? { 'x-canary': key } : {}) },
        },
        (response) => {
          response.resume();
          resolve(servedBy(response.headers['x-served-by'] as string | undefined));
        },
      );
      request.on('error', reject);
    });
  }
  const Health = healthClientConstructor();
  const options: grpc.ChannelOptions = authority ? { 'grpc.default_authority': authority } : {};
  const client = new Health(stack.urls.grpc, grpc.credentials.createInsecure(), options);
  const metadata = new grpc.Metadata();
  if (key) metadata.set('x-canary', key);
  try {
    return await new Promise((resolve, reject) => {
      const call = client.Check({ service: authority ? '' : service.grpcService }, metadata, (error) => {
        if (error) reject(error);
      });
      call.on('metadata', (received) => resolve(servedBy(String(received.get('x-served-by')[0] ?? ''))));
    });
  } finally {
    client.close();
  }
}

/** Who answers `service` for key `pr`: PR `pr`'s canary of it where the demo canaries run one, else stable. */
function demoTrack(service: ServiceEntry, pr: string | undefined): string {
  const canary = DEMO_CANARIES.find((candidate) => candidate.pr === pr);
  return canary?.services.includes(service.name) ? `pr-${pr}` : 'stable';
}

describe('every registered service, reached at its hop', () => {
  const cases = canaryServices().flatMap((service) =>
    [...DEMO_CANARIES.map((canary) => canary.pr), undefined].map((pr) => ({
      service,
      name: service.name,
      hop: service.hop,
      key: pr,
      track: demoTrack(service, pr),
    })),
  );
  it.each(cases)('$name ($hop) with X-Canary $key is answered by $track', async ({ service, key, track }) => {
    expect(await callAtHop(service, key)).toEqual({ service: service.name, track });
  });

  it.each(canaryServices().filter((service) => service.hop === 'mesh'))(
    '$name is also reached by its :authority (a health check naming no service)',
    async (service) => {
      expect(await callAtHop(service, '42', `${service.name}.apps.svc.cluster.local:80`)).toEqual({
        service: service.name,
        track: demoTrack(service, '42'),
      });
    },
  );

  it('answers UNIMPLEMENTED for a gRPC service nobody registered, naming it', async () => {
    const client = new grpc.Client(stack.urls.grpc, grpc.credentials.createInsecure());
    try {
      const error = await new Promise<grpc.ServiceError>((resolve) =>
        client.makeUnaryRequest(
          '/cart.v1.CartService/GetCart',
          (value: Buffer) => value,
          (value: Buffer) => value,
          Buffer.alloc(0),
          (err) => resolve(err as grpc.ServiceError),
        ),
      );
      expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(error.details).toMatch(/^no registered mesh service serves cart\.v1\.CartService/);
    } finally {
      client.close();
    }
  });
});

describe('local stack routing matrix (dev router = Traefik + Linkerd)', () => {
  it.each([
    { name: 'no key', key: undefined, apiTrack: 'stable', storeTrack: 'stable' },
    { name: 'PR 42 (api + store canary)', key: '42', apiTrack: 'pr-42', storeTrack: 'pr-42' },
    {
      name: 'PR 7 (store canary only, through stable api)',
      key: '7',
      apiTrack: 'stable',
      storeTrack: 'pr-7',
    },
    { name: 'PR 999 (no canary)', key: '999', apiTrack: 'stable', storeTrack: 'stable' },
  ])('$name lands on api $apiTrack / store $storeTrack', async ({ key, apiTrack, storeTrack }) => {
    const { response, body, tracks } = await route(key);
    expect(response.status).toBe(200);
    expect(tracks).toEqual({ 'api-service': apiTrack, 'store-service': storeTrack });
    expect(body.warning).toBeNull();
    expect(response.headers.get('x-served-by')).toContain(`store-service;track="${storeTrack}"`);
  });

  it('serves an invalid key on stable at every hop and says why', async () => {
    const { response, body, tracks } = await route('4x2');
    expect(response.status).toBe(200);
    expect(tracks).toEqual({ 'api-service': 'stable', 'store-service': 'stable' });
    expect(body.canary).toBeNull();
    expect(body.warning).toMatch(/^invalid canary key \(not_digits\)/);
    expect(response.headers.get('x-canary-warning')).toMatch(/served by stable$/);
  });

  it('serves several X-Canary lines on stable at every hop unless every line is the PR number', async () => {
    for (const second of ['7', 'abc', '043']) {
      const { status, headers, body } = await routeWithLines(['42', second]);
      expect(status, second).toBe(200);
      expect(body.hops.map((hop) => hop.track)).toEqual(['stable', 'stable']);
      expect(headers['x-canary-warning']).toMatch(
        /^invalid canary key \((conflicting_values|not_digits|leading_zero)\).*served by stable$/,
      );
    }
    const same = await routeWithLines(['42', '42']);
    expect(same.body.hops.map((hop) => hop.track)).toEqual(['pr-42', 'pr-42']);
    expect(same.headers['x-canary-warning']).toBeUndefined();
  });

  it('reports each instance with its own version', async () => {
    const { body } = await route('42');
    expect(body.hops.map((hop) => hop.version)).toEqual(['0.1.0-pr42', '0.1.0-pr42']);
    expect(
      stack
        .instances()
        .map((i) => `${i.service}@${i.track}`)
        .sort(),
    ).toEqual(
      // Stable of every Node service (one added since too) and the demo canaries: PR 42's api and
      // store, PR 7's store.
      [
        ...nodeServices().map((service) => `${service.name}@stable`),
        ...DEMO_CANARIES.flatMap((canary) => canary.services.map((name) => `${name}@pr-${canary.pr}`)),
      ].sort(),
    );
    expect(DEMO_CANARIES.map((canary) => [canary.pr, canary.services])).toEqual([
      ['42', ['api-service', 'store-service']],
      ['7', ['store-service']],
    ]);
  });
});

describe('data isolation between stable and PR canaries', () => {
  it('shows an item created under PR 42 only under PR 42, never on stable or PR 7', async () => {
    const created = await api('/api/items', '42', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'pr-42 only', priceCents: 4200 }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await api(`/api/items/${id}`, '42')).status).toBe(200);
    expect((await api(`/api/items/${id}`, undefined)).status).toBe(404);
    expect((await api(`/api/items/${id}`, '7')).status).toBe(404);
    const stableList = (await (await api('/api/items?limit=100', undefined)).json()) as {
      items: { id: string }[];
    };
    expect(stableList.items.map((item) => item.id)).not.toContain(id);
  });
});

describe('gRPC through the dev router against the real store', () => {
  it('streams ExportItems from the PR 42 store canary and passes NOT_FOUND through unchanged', async () => {
    await api('/api/items', '42', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'exported', priceCents: 1 }),
    });
    const Client = itemsServiceClientConstructor();
    const client = new Client(stack.urls.grpc, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set('x-canary', '42');
      const names: string[] = [];
      const call = client.ExportItems({}, metadata);
      let servedBy: grpc.MetadataValue[] = [];
      call.on('metadata', (received) => {
        servedBy = received.get('x-served-by');
      });
      for await (const message of call as AsyncIterable<ExportItemsResponse__Output>)
        names.push(message.item?.name ?? '');
      expect(names).toContain('exported');
      expect(String(servedBy[0])).toContain('track="pr-42"');

      const missing = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.GetItem({ id: '00000000-0000-7000-8000-000000000000' }, new grpc.Metadata(), (error) =>
          resolve(error),
        ),
      );
      expect(missing?.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });
});

describe('canary probe CLI against the running stack', () => {
  it('exits 0 when every hop lands where --expect says', async () => {
    const run = await runCanaryCli(
      probeArgs(stack.urls.api, { pr: '7', count: 3, expect: 'api=stable,store=pr-7' }),
    );
    expect(run.stdout).toContain('expect store-service=pr-7: ok (3/3)');
    expect(run.code).toBe(0);
    // Not the default local stack: the hint says which receiver to ask, and with it the lookup works.
    const hint = /trace of the last request: ([0-9a-f]{32}) \(npx pr-canary trace \1 --url TRACES_URL, /.exec(
      run.stdout,
    );
    expect(hint, run.stdout).not.toBeNull();
    const traceId = hint?.[1] ?? '';
    // (`trace` waits for the trace to arrive.)
    expect((await runCanaryInProcess(['trace', traceId, '--url', stack.urls.traces ?? ''])).code).toBe(0);
  });

  it('exits 1 and names the hop when --expect does not hold', async () => {
    const run = await runCanaryInProcess(
      probeArgs(stack.urls.api, { pr: '7', count: 2, expect: 'api=pr-7,store=pr-7' }),
    );
    expect(run.stdout).toContain('expect api-service=pr-7: FAILED (0/2)');
    expect(run.code).toBe(1);
  });

  it('prints the per-hop distribution as JSON with --json', async () => {
    const run = await runCanaryInProcess(probeArgs(stack.urls.api, { pr: '42', count: 2, json: true }));
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      hops: Record<string, { track: string; count: number }[]>;
    };
    expect(result.ok).toBe(true);
    expect(result.hops['store-service']).toEqual([{ track: 'pr-42', version: '0.1.0-pr42', count: 2 }]);
    expect(run.code).toBe(0);
  });
});

describe('oversize bodies through the dev router', () => {
  it('answers 413 in the error shape every time, with a declared length or chunked (30 tries each)', async () => {
    const statuses: string[] = [];
    const big = JSON.stringify({ name: 'x'.repeat(1_000_000), priceCents: 1 });
    for (let i = 0; i < 30; i++) {
      for (const chunked of [false, true]) {
        const body = chunked
          ? new ReadableStream({
              start(controller) {
                controller.enqueue(new TextEncoder().encode(big));
                controller.close();
              },
            })
          : big;
        const response = await fetch(`${stack.urls.api}/api/items`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          ...(chunked ? { duplex: 'half' } : {}),
        } as RequestInit).catch((error: Error) => error);
        if (response instanceof Error) statuses.push(`${chunked ? 'chunked' : 'sized'} ${response.message}`);
        else {
          const json = (await response.json()) as { code?: string };
          statuses.push(`${chunked ? 'chunked' : 'sized'} ${response.status} ${json.code}`);
        }
      }
    }
    expect(statuses.filter((s) => !s.endsWith(' 413 BODY_TOO_LARGE'))).toEqual([]);
    expect(statuses).toHaveLength(60);
  });
});

describe('the data folder', () => {
  it('is one stack’s at a time: a second stack on it is refused before it starts anything, naming the way out', async () => {
    // Its pid and start time (a reused pid is not taken for it: test/stack/data-dir-claim.test.ts).
    expect(readFileSync(path.join(dataDir, 'stack.pid'), 'utf8')).toMatch(
      new RegExp(`^${process.pid} \\d+\n$`),
    );
    const second = startStack({ dataDir, log: () => {}, readyTimeoutMs: 15_000 });
    // Were it not refused, it must not outlive the test (it would share dynalite's folder).
    second.then((started) => started.stop()).catch(() => {});
    await expect(second).rejects.toThrow(
      `the data folder ${dataDir} is in use by another local stack (pid ${process.pid}): stop that one, or start this one with --data-dir <another folder> or --in-memory`,
    );
    // The first stack's dynalite still serves its table.
    expect((await fetch(`${stack.urls.api}/api/items?limit=1`)).status).toBe(200);
  });
});

describe('a canary that is declared but not running', () => {
  it("answers PR 42's writes with 503 naming PR and service, and stable's table stays unchanged", async () => {
    const before = await stableTableItems();
    await stack.kill('store-service', 'pr-42');
    expect(instance('store-service', 'pr-42')).toMatchObject({ running: false, state: 'stopped' });

    const created = await api('/api/items', '42', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'must not reach stable', priceCents: 1 }),
    });
    expect(created.status).toBe(503);
    expect(await created.json()).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: "PR 42's store-service canary is declared but not running (stopped)",
      code: 'UNAVAILABLE',
    });
    const { response } = await routeRaw('42');
    expect(response.status).toBe(503);
    expect(await stableTableItems()).toEqual(before);
    expect((await route()).tracks).toEqual({ 'api-service': 'stable', 'store-service': 'stable' });
    expect(output.join('\n')).toContain('store pr-42 stopped on request');
    // Its faults cannot be set now, and the answer says how, not "once it runs" (it will not).
    const fault = await fetch(`${stack.urls.control}/faults/pr-42/store-service`, {
      method: 'PUT',
      body: 'latency=10ms',
    });
    expect(fault.status).toBe(409);
    expect(await fault.json()).toMatchObject({
      code: 'INSTANCE_NOT_RUNNING',
      message:
        'store-service on pr-42 is stopped until the stack restarts; give its faults at start: npm start -- --fault 42:store:latency=10ms',
    });

    const probe = await runCanaryInProcess(probeArgs(stack.urls.api, { pr: '42', count: 1 }));
    expect(probe.stdout).toContain(
      "failed ×1: HTTP 503 UNAVAILABLE: PR 42's store-service canary is declared but not running (stopped)",
    );
    expect(probe.code).toBe(1);
  });

  it('restarts a SIGKILLed api canary, says so, and answers 503 for PR 42 (never stable) until it is back', async () => {
    const killed = instance('api-service', 'pr-42');
    process.kill(killed?.pid ?? Number.NaN, 'SIGKILL');
    await expect.poll(() => instance('api-service', 'pr-42')?.state).not.toBe('running');
    const whileDown = await fetch(`${stack.urls.api}/healthz`, {
      headers: { 'X-Canary': '42', Origin: PAGE_ORIGIN },
    });
    if (instance('api-service', 'pr-42')?.state !== 'running') {
      expect(whileDown.status).toBe(503);
      // The router's own answer, readable by the pages the api allows (the web UI shows its message).
      expect(whileDown.headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
      expect(((await whileDown.json()) as { message: string }).message).toMatch(
        /^PR 42's api-service canary is declared but not running \(restarting/,
      );
    }
    await expect
      .poll(() => instance('api-service', 'pr-42'), { timeout: 20_000 })
      .toMatchObject({ state: 'running', restarts: 1 });
    expect(instance('api-service', 'pr-42')?.pid).not.toBe(killed?.pid);
    const { body } = await routeRaw('42');
    expect(body.hops?.[0]).toMatchObject({ service: 'api-service', track: 'pr-42' });
    expect(output.join('\n')).toMatch(
      /api pr-42 died \(signal SIGKILL\); restarting in 250 ms \(restart 1\); its last lines:\n.*\| /,
    );
    expect(output.join('\n')).toContain('api pr-42 is back up (restart 1)');
  });
});

/** GET /api/route with each of `lines` as its own `X-Canary` header line (fetch would join them). */
function routeWithLines(
  lines: readonly string[],
): Promise<{ status: number | undefined; headers: http.IncomingHttpHeaders; body: RouteBody }> {
  const { hostname, port } = new URL(stack.urls.api);
  return new Promise((resolve, reject) => {
    const headers = ['Host', `${hostname}:${port}`, ...lines.flatMap((line) => ['X-Canary', line])];
    const request = http.request({ host: hostname, port, path: '/api/route', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode,
          headers: response.headers,
          body: JSON.parse(Buffer.concat(chunks).toString()) as RouteBody,
        }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

async function routeRaw(key: string) {
  const response = await fetch(`${stack.urls.api}/api/route`, { headers: { 'X-Canary': key } });
  return { response, body: (await response.json()) as Partial<RouteBody> };
}

/** Stable's table, read through the DynamoDB API (not through the services). */
async function stableTableItems(): Promise<string[]> {
  const client = new DynamoDBClient({
    endpoint: stack.urls.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'localdev', secretAccessKey: 'localdev' },
  });
  try {
    const { Items = [] } = await client.send(
      new ScanCommand({ TableName: tableFor(serviceNamed('store-service'), 'stable') }),
    );
    return Items.map((item) => JSON.stringify(item)).sort();
  } finally {
    client.destroy();
  }
}

function instance(service: string, track: string) {
  return stack.instances().find((i) => i.service === service && i.track === track);
}
