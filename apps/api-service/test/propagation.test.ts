/**
 * The canary key across the HTTP → gRPC hop, seen from both ends: what the store hop receives
 * (recorded by the wire tap before the real store) and what the HTTP response says.
 */
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { parseServedBy } from '@pr-canary/canary-context';
import { describe, expect, it } from 'vitest';
import { CANARY_PR, startStack, stopStack, TEST_VERSION, useStack } from './helper';

const stack = useStack();

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/**
 * Sends `GET /api/route` with the given header lines byte for byte over a raw TCP socket (an HTTP
 * client library would refuse or fold some of the hostile values this matrix needs).
 */
async function routeWithRawHeaders(headerLines: string[]): Promise<RawResponse> {
  const url = new URL(stack.current.api.baseUrl);
  const request = [
    'GET /api/route HTTP/1.1',
    `Host: ${url.host}`,
    'Connection: close',
    ...headerLines,
    '',
    '',
  ].join('\r\n');
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () =>
      socket.write(Buffer.from(request, 'latin1')),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

function lastSeen() {
  const seen = stack.current.tap.seen.at(-1);
  if (!seen) throw new Error('the store hop saw no call');
  return seen;
}

describe('propagation matrix (GET /api/route over a real socket)', () => {
  it('absent key: no x-canary, no baggage downstream; no X-Canary, no warning; stable store', async () => {
    const response = await routeWithRawHeaders([]);
    expect(response.status).toBe(200);
    expect(lastSeen()).toMatchObject({ path: '/grpc.health.v1.Health/Check', canary: [], baggage: [] });
    expect(response.headers.get('x-canary')).toBeUndefined();
    expect(response.headers.get('x-canary-warning')).toBeUndefined();
    expect(JSON.parse(response.body)).toEqual({
      canary: null,
      warning: null,
      hops: [
        { service: 'api-service', track: 'stable', version: TEST_VERSION },
        { service: 'store-service', track: 'stable', version: TEST_VERSION },
      ],
    });
  });

  it.each([
    ['two lines', 2],
    ['17 lines (more characters than one key may have, together)', 17],
  ])('the same key on %s is that key, as the edge routes it: forwarded once', async (_case, count) => {
    const response = await routeWithRawHeaders(Array.from({ length: count }, () => 'X-Canary: 42'));
    expect(response.status).toBe(200);
    expect(lastSeen().canary).toEqual(['42']);
    expect(response.headers.get('x-canary')).toBe('42');
    expect(response.headers.get('x-canary-warning')).toBeUndefined();
  });

  it('valid key: forwarded as x-canary and baggage canary=<pr>, echoed in X-Canary', async () => {
    const response = await routeWithRawHeaders(['X-Canary: 42']);
    expect(response.status).toBe(200);
    expect(lastSeen().canary).toEqual(['42']);
    expect(lastSeen().baggage.join(',')).toMatch(/(^|,)\s*canary=42(\s*;|,|$)/);
    expect(response.headers.get('x-canary')).toBe('42');
    expect(response.headers.get('x-canary-warning')).toBeUndefined();
    expect(JSON.parse(response.body)).toMatchObject({ canary: '42', warning: null });
  });

  /** `pr_canary_invalid_canary_key_total{source="http",reason}` as the api's registry has it now. */
  async function invalidKeyCount(reason: string): Promise<number> {
    const counter = await stack.current.api.metrics.registry
      .getSingleMetric('pr_canary_invalid_canary_key_total')
      ?.get();
    const sample = counter?.values.find(
      (value) => value.labels.source === 'http' && value.labels.reason === reason,
    );
    return sample?.value ?? 0;
  }

  it.each([
    ['an empty value', ['X-Canary: '], 'empty'],
    ['letters', ['X-Canary: abc'], 'not_digits'],
    ['zero', ['X-Canary: 0'], 'zero'],
    ['a leading zero', ['X-Canary: 042'], 'leading_zero'],
    ['10 digits', ['X-Canary: 1234567890'], 'too_long'],
    ['inner whitespace', ['X-Canary: 4 2'], 'whitespace'],
    ['two conflicting headers', ['X-Canary: 42', 'X-Canary: 43'], 'conflicting_values'],
    ['a list on one line', ['X-Canary: 42, 43'], 'list'],
    // The edge's route rule does not route one line `42, 42` to PR 42, so neither does the key.
    ['a list of the same number on one line', ['X-Canary: 42,42'], 'list'],
    ['a 10 KB value', [`X-Canary: ${'9'.repeat(10_240)}`], 'too_long'],
  ])(
    'invalid key (%s): nothing forwarded, warning header, counted, served as stable, never 5xx',
    async (_case, lines, reason) => {
      const countedBefore = await invalidKeyCount(reason);
      const response = await routeWithRawHeaders(lines);
      expect(response.status).toBe(200);
      expect(await invalidKeyCount(reason)).toBe(countedBefore + 1);
      expect(lastSeen().canary).toEqual([]);
      expect(lastSeen().baggage.join(',')).not.toMatch(/canary=/);
      expect(response.headers.get('x-canary')).toBeUndefined();
      const warning = String(response.headers.get('x-canary-warning'));
      expect(warning).toMatch(new RegExp(`^invalid canary key \\(${reason}\\): .+; served by stable$`));
      expect(warning).toMatch(/^[\x20-\x7e]+$/);
      const body = JSON.parse(response.body);
      expect(body).toMatchObject({ canary: null, warning });
      expect(body.hops.map((hop: { track: string }) => hop.track)).toEqual(['stable', 'stable']);
    },
  );

  it('control character: Node refuses it on the socket (400, no store call); as parsed input it is a warning', async () => {
    const callsBefore = stack.current.tap.seen.length;
    const onTheWire = await routeWithRawHeaders(['X-Canary: 4\u00012']);
    expect(onTheWire.status).toBe(400);
    expect(stack.current.tap.seen.length).toBe(callsBefore);

    const injected = await stack.current.api.app.inject({
      method: 'GET',
      url: '/api/route',
      headers: { 'x-canary': '4\u00012' },
    });
    expect(injected.statusCode).toBe(200);
    expect(lastSeen().canary).toEqual([]);
    expect(injected.headers['x-canary']).toBeUndefined();
    expect(injected.headers['x-canary-warning']).toMatch(/^invalid canary key \(control_chars\): /);
  });

  it('never writes a raw invalid key into the logs', async () => {
    await routeWithRawHeaders(['X-Canary: zz<evil>']);
    expect(stack.current.api.logLines.join('')).not.toContain('zz<evil>');
  });
});

describe('a store canary reached through the stable api', () => {
  it('X-Canary: 7 reaches the pr-7 store; the chain shows api stable, store pr-7', async () => {
    const response = await routeWithRawHeaders([`X-Canary: ${CANARY_PR}`]);
    expect(response.status).toBe(200);
    expect(lastSeen().canary).toEqual([CANARY_PR]);
    expect(response.headers.get('x-served-by')).toBe(
      `api-service;track="stable";version="${TEST_VERSION}", store-service;track="pr-${CANARY_PR}";version="${TEST_VERSION}"`,
    );
    expect(JSON.parse(response.body).hops[1]).toEqual({
      service: 'store-service',
      track: `pr-${CANARY_PR}`,
      version: TEST_VERSION,
    });
  });

  it('item writes made through the canary are read back through stable (same table)', async () => {
    const { baseUrl } = stack.current.api;
    const created = await fetch(`${baseUrl}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-canary': CANARY_PR },
      body: JSON.stringify({ name: 'via canary', priceCents: 7 }),
    });
    expect(created.status).toBe(201);
    expect(parseServedBy(created.headers.get('x-served-by') ?? '')[1]?.track).toBe(`pr-${CANARY_PR}`);
    const { id } = (await created.json()) as { id: string };
    const read = await fetch(`${baseUrl}/api/items/${id}`);
    expect(read.status).toBe(200);
    expect(parseServedBy(read.headers.get('x-served-by') ?? '')[1]?.track).toBe('stable');
  });
});

describe('streaming carries the key both ways', () => {
  it('GET /api/items/export with X-Canary: 7 streams from the pr-7 store and says so', async () => {
    const { baseUrl } = stack.current.api;
    const created = await fetch(`${baseUrl}/api/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'to export', priceCents: 1 }),
    });
    expect(created.status).toBe(201);
    const response = await fetch(`${baseUrl}/api/items/export`, { headers: { 'x-canary': CANARY_PR } });
    expect(response.status).toBe(200);
    const exported = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string });
    expect(exported.map((item) => item.name)).toContain('to export');
    expect(lastSeen()).toMatchObject({ path: '/store.v1.ItemsService/ExportItems', canary: [CANARY_PR] });
    expect(lastSeen().baggage.join(',')).toMatch(new RegExp(`(^|,)\\s*canary=${CANARY_PR}(\\s*;|,|$)`));
    expect(response.headers.get('x-canary')).toBe(CANARY_PR);
    expect(parseServedBy(response.headers.get('x-served-by') ?? '')[1]?.track).toBe(`pr-${CANARY_PR}`);
  });
});

describe('no cross-talk between concurrent requests', () => {
  /** A well-formed item id that carries `key`, so the store-side call can be matched to its request. */
  const idCarrying = (key: string) => `00000000-0000-7000-8000-${key.padStart(12, '0')}`;

  it('250 concurrent requests with random keys: each store call carries the key of its own request', async () => {
    const { baseUrl } = stack.current.api;
    const keys = new Set<string>();
    while (keys.size < 250) keys.add(String(randomInt(8, 1_000_000_000)));
    const responses = await Promise.all(
      [...keys].map(async (key) => {
        const response = await fetch(`${baseUrl}/api/items/${idCarrying(key)}`, {
          headers: { 'x-canary': key },
        });
        await response.arrayBuffer();
        return { key, status: response.status, echoed: response.headers.get('x-canary') };
      }),
    );
    for (const { key, status, echoed } of responses) {
      expect(status).toBe(404);
      expect(echoed).toBe(key);
    }
    const getItemCalls = stack.current.tap.seen.filter(
      (call) => call.path === '/store.v1.ItemsService/GetItem',
    );
    const pairs = new Map<string, string>();
    for (const call of getItemCalls) {
      const id = /00000000-0000-7000-8000-([0-9]{12})/.exec(call.request.toString('latin1'))?.[1];
      if (id !== undefined) pairs.set(String(Number(id)), call.canary.join());
    }
    expect(pairs.size).toBe(keys.size);
    for (const [keyInRequest, keyInMetadata] of pairs) expect(keyInMetadata).toBe(keyInRequest);
  });
});

describe('CANARY_HEADER_TRUSTED=false', () => {
  it('ignores the key: nothing forwarded, no echo, no warning, stable store', async () => {
    const untrusted = await startStack({ CANARY_HEADER_TRUSTED: 'false' });
    try {
      const response = await fetch(`${untrusted.api.baseUrl}/api/route`, {
        headers: { 'x-canary': CANARY_PR },
      });
      expect(response.status).toBe(200);
      expect(untrusted.tap.seen.at(-1)?.canary).toEqual([]);
      expect(response.headers.get('x-canary')).toBeNull();
      expect(response.headers.get('x-canary-warning')).toBeNull();
      expect(((await response.json()) as { canary: unknown }).canary).toBeNull();
      expect(parseServedBy(response.headers.get('x-served-by') ?? '')[1]?.track).toBe('stable');
    } finally {
      await stopStack(untrusted);
    }
  });
});
