import { describe, expect, it } from 'vitest';
import { formatCanaryWarning, parseCanaryKey } from '../src/canary-key';
import { deriveRouteReportJsonSchema, parseRouteHops, parseRouteReport } from '../src/route-report';
import { routeReportJsonSchema } from '../src/route-report-json-schema';
import { MAX_SERVED_BY_ENTRIES } from '../src/served-by';

const api = { service: 'api-service', track: 'pr-42', version: '0.4.0' };
const store = { service: 'store-service', track: 'stable', version: '0.4.0' };
const invalidKey = parseCanaryKey('4 2');
const warning = invalidKey.kind === 'invalid' ? formatCanaryWarning(invalidKey) : '';

describe('parseRouteReport', () => {
  it('reads what the api answers, with and without a key', () => {
    const report = { canary: '42', warning: null, hops: [api, store] };
    expect(parseRouteReport(report)).toEqual({ ok: true, value: report });
    const ignored = { canary: null, warning, hops: [store] };
    expect(parseRouteReport(ignored)).toEqual({ ok: true, value: ignored });
  });

  it('drops properties it does not know', () => {
    const body = { canary: null, warning: null, hops: [{ ...api, zone: 'a' }], extra: 1 };
    expect(parseRouteReport(body)).toEqual({ ok: true, value: { canary: null, warning: null, hops: [api] } });
  });

  it.each<[string, unknown, string]>([
    ['no object', null, 'the body: expected object'],
    ['hops that are no list', { canary: null, warning: null, hops: 'x' }, 'hops: expected array'],
    [
      'a canary that is no PR number',
      { canary: '042', warning: null, hops: [] },
      'canary: has the wrong format',
    ],
    ['a missing warning', { canary: null, hops: [] }, 'warning: expected string'],
    [
      'a warning with a line break',
      { canary: null, warning: 'a\nb', hops: [] },
      'warning: has the wrong format',
    ],
    [
      'a hop whose service is no token',
      { canary: null, warning: null, hops: [api, { ...store, service: 'store service' }] },
      'hops.1: is not a served-by entry',
    ],
    [
      'a hop with an escape sequence in its version',
      { canary: null, warning: null, hops: [{ ...api, version: '\u001b[31m' }] },
      'hops.0: is not a served-by entry',
    ],
    [
      'an over-long track',
      { canary: null, warning: null, hops: [{ ...api, track: 'x'.repeat(129) }] },
      'hops.0.track: longer than 128',
    ],
    [
      'more hops than a served-by chain keeps',
      { canary: null, warning: null, hops: Array.from({ length: MAX_SERVED_BY_ENTRIES + 1 }, () => api) },
      'hops: longer than 16',
    ],
  ])('refuses %s and says where, without echoing the value', (_label, body, problem) => {
    const result = parseRouteReport(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem).toContain(problem);
    expect(result.problem).toMatch(/^[\x20-\x7e]*$/);
    expect(result.problem).not.toMatch(/store service|042|xxxx/);
  });
});

describe('hops on their own', () => {
  it('reads the hops of an error answer', () => {
    expect(parseRouteHops([api, store])).toEqual({ ok: true, value: [api, store] });
    expect(parseRouteHops([{ service: 'api-service' }]).ok).toBe(false);
  });
});

describe('the JSON Schema the api serializes with', () => {
  it('is the one derived from the zod schema (else: npm run write-schema -w @pr-canary/contracts)', () => {
    expect(routeReportJsonSchema(), 'src/route-report.schema.json is out of date').toEqual(
      deriveRouteReportJsonSchema(),
    );
  });

  it("keeps the schema's bounds", () => {
    const json = routeReportJsonSchema() as {
      required: string[];
      properties: { canary: unknown; hops: { maxItems: number; items: { required: string[] } } };
    };
    expect(json.required.sort()).toEqual(['canary', 'hops', 'warning']);
    expect(json.properties.hops.maxItems).toBe(MAX_SERVED_BY_ENTRIES);
    expect(json.properties.hops.items.required.sort()).toEqual(['service', 'track', 'version']);
    expect(JSON.stringify(json.properties.canary)).toContain('[1-9][0-9]{0,8}');
    expect(json).not.toHaveProperty('$schema');
  });

  it('writes nullable fields as a type list (a serializer picks an anyOf branch by validating each value)', () => {
    const json = routeReportJsonSchema() as { properties: Record<string, Record<string, unknown>> };
    expect(JSON.stringify(json)).not.toContain('anyOf');
    expect(json.properties.canary).toMatchObject({ type: ['string', 'null'], pattern: '^[1-9][0-9]{0,8}$' });
    expect(json.properties.warning).toMatchObject({ type: ['string', 'null'], maxLength: 512 });
  });
});
