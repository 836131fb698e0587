import { seededRandom } from '@pr-canary/local-kit/seeded-random';
import { describe, expect, it } from 'vitest';
import {
  CANARY_ROUTE_PRIORITY,
  canaryNamespace,
  edgeRule,
  otherValuePattern,
  resolveRoute,
  routeTable,
  STABLE_ROUTE_PRIORITY,
} from '../src/route-rule';

describe('route table', () => {
  const table = routeTable([
    { pr: '42', services: ['api-service', 'store-service'] },
    { pr: '7', services: ['store-service'] },
  ]);

  it('gives each canary an exact header route to its PR namespace, above stable', () => {
    expect(table.routes).toEqual([
      {
        service: 'api-service',
        protocol: 'http',
        match: { header: 'X-Canary', type: 'Exact', value: '42', otherValuePattern: otherValuePattern('42') },
        backend: { service: 'api-service', track: 'pr-42', namespace: 'api-canary-pr-42' },
        priority: 100,
      },
      {
        service: 'store-service',
        protocol: 'grpc',
        match: { header: 'x-canary', type: 'Exact', value: '7', otherValuePattern: otherValuePattern('7') },
        backend: { service: 'store-service', track: 'pr-7', namespace: 'store-canary-pr-7' },
        priority: 100,
      },
      {
        service: 'store-service',
        protocol: 'grpc',
        match: { header: 'x-canary', type: 'Exact', value: '42', otherValuePattern: otherValuePattern('42') },
        backend: { service: 'store-service', track: 'pr-42', namespace: 'store-canary-pr-42' },
        priority: 100,
      },
    ]);
    expect(CANARY_ROUTE_PRIORITY).toBeGreaterThan(STABLE_ROUTE_PRIORITY);
    expect(table.defaults['store-service']).toEqual({
      service: 'store-service',
      track: 'stable',
      namespace: 'apps',
    });
  });

  it('resolves exact matches to canaries and everything else to stable', () => {
    const track = (service: 'api-service' | 'store-service', values?: string[]) =>
      resolveRoute(table, service, values).track;
    expect(track('api-service', ['42'])).toBe('pr-42');
    expect(track('store-service', ['42'])).toBe('pr-42');
    expect(track('api-service', ['7'])).toBe('stable');
    expect(track('store-service', ['7'])).toBe('pr-7');
    expect(track('store-service', ['999'])).toBe('stable');
    expect(track('store-service', undefined)).toBe('stable');
    expect(track('store-service', ['042'])).toBe('stable');
    expect(track('store-service', [' 42'])).toBe('stable');
    expect(track('store-service', ['42', '42'])).toBe('pr-42');
    // Any second value, valid or not, keeps the request off every canary.
    expect(track('store-service', ['abc', '42'])).toBe('stable');
    expect(track('store-service', ['42', '7'])).toBe('stable');
    expect(track('store-service', ['7', '42'])).toBe('stable');
    expect(track('api-service', ['42', '043'])).toBe('stable');
    expect(track('api-service', ['42', ''])).toBe('stable');
    expect(track('api-service', [])).toBe('stable');
  });

  it('derives the "any value but N" pattern digit by digit and writes the Traefik rule with it', () => {
    expect(otherValuePattern('42')).toBe('^(?:$|[^4]|4(?:$|[^2]|2(?:[\\s\\S])))');
    expect(otherValuePattern('7')).toBe('^(?:$|[^7]|7(?:[\\s\\S]))');
    const [route] = table.routes;
    expect(edgeRule('api.example.com', route as NonNullable<typeof route>)).toBe(
      'Host(`api.example.com`) && Header(`X-Canary`, `42`) && !HeaderRegexp(`X-Canary`, `^(?:$|[^4]|4(?:$|[^2]|2(?:[\\s\\S])))`)',
    );
    expect(() => otherValuePattern('042')).toThrow(/PR number/);
  });

  it('matches, for 5,000 random values, every value except exactly N (property)', () => {
    const random = seededRandom(20261129);
    const alphabet = ['0', '1', '2', '4', '7', '9', ' ', ',', '\t', 'a', '\n', '\u00e9', '\u{1F600}'];
    const wrong: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const pr = String(1 + Math.floor(random() * (random() < 0.5 ? 99 : 999_999_999)));
      const pattern = new RegExp(otherValuePattern(pr));
      const value =
        random() < 0.5
          ? mutate(pr, random, alphabet)
          : Array.from({ length: Math.floor(random() * 12) }, () => pick(alphabet, random)).join('');
      if (pattern.test(value) !== (value !== pr)) wrong.push(`${JSON.stringify(value)} vs ${pr}`);
    }
    expect(wrong).toEqual([]);
  });

  it('routes a set of header values to PR N only when every value is exactly N (property)', () => {
    const random = seededRandom(7);
    const pool = ['42', '42', '42', '7', '043', '4', '420', 'abc', '', '42,42', '42, 42', ' 42', '999'];
    const wrong: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const values = Array.from({ length: Math.floor(random() * 5) }, () => pick(pool, random));
      const expected = values.length > 0 && values.every((v) => v === '42') ? 'pr-42' : 'stable';
      if (resolveRoute(table, 'api-service', values).track !== expected) wrong.push(JSON.stringify(values));
    }
    expect(wrong).toEqual([]);
  });

  it('rejects malformed PR numbers and duplicate canaries', () => {
    expect(() => routeTable([{ pr: '042', services: ['api-service'] }])).toThrow(/PR number/);
    expect(() => routeTable([{ pr: '4', services: ['api-service', 'api-service'] }])).toThrow(/twice/);
  });

  it('names canary namespaces after the service', () => {
    expect(canaryNamespace('api-service', '42')).toBe('api-canary-pr-42');
  });
});

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** N with one character inserted, removed or replaced, or N repeated / joined. */
function mutate(pr: string, random: () => number, alphabet: readonly string[]): string {
  const at = Math.floor(random() * (pr.length + 1));
  switch (Math.floor(random() * 5)) {
    case 0:
      return pr.slice(0, at) + pick(alphabet, random) + pr.slice(at);
    case 1:
      return pr.slice(0, at) + pr.slice(at + 1);
    case 2:
      return pr.slice(0, at) + pick(alphabet, random) + pr.slice(at + 1);
    case 3:
      return `${pr},${pr}`;
    default:
      return pr;
  }
}
