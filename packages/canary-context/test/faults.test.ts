import { describe, expect, it } from 'vitest';
import { FaultSpecError, formatFaultSpec, NO_FAULTS, parseFaultSpec, parseFaultTarget } from '../src/faults';

describe('parseFaultSpec', () => {
  it('reads the compact form', () => {
    expect(parseFaultSpec('error-rate=0.2')).toEqual({ ...NO_FAULTS, errorRate: 0.2 });
    expect(parseFaultSpec(' error-rate=20% , latency=100ms, latency-rate=0.5 ')).toEqual({
      errorRate: 0.2,
      latencyMs: 100,
      latencyRate: 0.5,
      fail: [],
    });
    expect(parseFaultSpec('latency=1.5s,error-rate=0.1,error-code=INTERNAL')).toMatchObject({
      latencyMs: 1500,
      errorCode: 'INTERNAL',
    });
    expect(parseFaultSpec('fail=GetItem,fail=GET /api/items/:id,fail=GetItem').fail).toEqual([
      'GetItem',
      'GET /api/items/:id',
    ]);
    expect(parseFaultSpec('fail=GetItem,error-code=500').errorCode).toBe('500');
  });

  it('reads the JSON form, and off is off', () => {
    expect(
      parseFaultSpec('{"errorRate":0.2,"latencyMs":100,"fail":["store.v1.ItemsService/GetItem"]}'),
    ).toEqual({
      errorRate: 0.2,
      latencyMs: 100,
      latencyRate: 1,
      fail: ['store.v1.ItemsService/GetItem'],
    });
    expect(parseFaultSpec('')).toEqual(NO_FAULTS);
    expect(parseFaultSpec('none')).toEqual(NO_FAULTS);
  });

  it('round-trips through its canonical form', () => {
    for (const text of [
      'error-rate=0.2',
      'latency=100ms,latency-rate=0.25',
      'error-rate=0.5,error-code=503,fail=GetItem',
      'none',
    ]) {
      expect(formatFaultSpec(parseFaultSpec(text))).toBe(text);
    }
  });

  it.each([
    ['error-rate=1.5', 'error-rate must be a fraction from 0 to 1'],
    ['error-rate=abc', 'error-rate must be a fraction'],
    ['error-rate=-0.1', 'error-rate must be a fraction'],
    ['latency=100', 'latency must be a duration such as 100ms or 1.5s'],
    ['latency=31s', 'latency must be a whole number of ms from 0 to 30000'],
    ['latency=0.5ms', 'whole number of ms'],
    [
      'eror-rate=0.2',
      'unknown fault "eror-rate" (known: error-rate, error-code, latency, latency-rate, fail)',
    ],
    ['$(rm -rf)=1', 'unknown fault (unreadable)'],
    ['error-rate', 'every fault is key=value'],
    ['error-rate=0.1,error-rate=0.2', 'error-rate is given twice'],
    ['error-code=NOT_FOUND', 'error-code must be an HTTP status 500-599 or one of UNKNOWN'],
    ['error-code=404', 'error-code must be an HTTP status 500-599'],
    ['fail=Get Item;x', 'fail= takes an RPC name'],
    ['{"errorRate":"0.2"}', 'errorRate must be a number'],
    ['{"errorRate":0.2,"x":1}', 'unknown field(s) in the fault spec'],
    ['{nope', 'not valid JSON'],
    ['[1]', 'every fault is key=value'],
    // A rate of a delay that is not there would be accepted and do nothing.
    ['latency-rate=0.5', 'latency-rate needs a latency'],
    ['error-code=INTERNAL', 'error-code says what error-rate or fail= answer with'],
    ['latency=100ms,error-code=500', 'error-code says what error-rate or fail= answer with'],
    ['error-rate=0.1,latency-rate=0.5', 'latency-rate needs a latency'],
    ['{"latencyRate":0.5}', 'latency-rate needs a latency'],
  ])('refuses %j with a clear message', (text, message) => {
    expect(() => parseFaultSpec(text)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(text)).toThrow(message);
  });

  it('never echoes the input it refuses', () => {
    const secret = 'fail=<script>alert(1)</script>';
    try {
      parseFaultSpec(secret);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('script');
    }
  });
});

describe('parseFaultTarget', () => {
  it('reads <PR|stable>:<service>:<spec>, colons in the spec included', () => {
    expect(parseFaultTarget('42:store-service:error-rate=0.2')).toEqual({
      track: 'pr-42',
      service: 'store-service',
      spec: { ...NO_FAULTS, errorRate: 0.2 },
    });
    expect(parseFaultTarget('stable:api:fail=GET /api/items/:id').spec.fail).toEqual(['GET /api/items/:id']);
    expect(parseFaultTarget('7:store:none').spec).toEqual(NO_FAULTS);
  });

  it.each([
    ['42-store-error', 'a fault is <PR number or stable>:<service>:<spec>'],
    ['042:store:error-rate=1', 'a fault names a PR number'],
    ['prod:store:error-rate=1', 'a fault names a PR number'],
    ['42:Store Service:error-rate=1', 'a fault names a service'],
    ['42:store:error-rate=2', 'error-rate must be a fraction'],
    // Nothing after the second ":" is a typo, not "clear the faults" (that is `none`).
    ['42:store:', 'a fault gives its spec after the second ":"'],
    ['42:store:  ', 'a fault gives its spec after the second ":"'],
  ])('refuses %j', (text, message) => {
    expect(() => parseFaultTarget(text)).toThrow(message);
  });
});
