import { formatServedBy } from '@pr-canary/contracts/served-by';
import { describe, expect, it } from 'vitest';
import {
  chainFromHeaders,
  checkKey,
  describeHops,
  describeKeyCheck,
  echoFromHeaders,
  parseStoredChain,
  traceFromHeaders,
} from '../src/served-by';

const CHAIN = [
  { service: 'api-service', track: 'pr-42', version: '0.4.0' },
  { service: 'store-service', track: 'stable', version: '0.4.0' },
];

describe('served-by chain in the extension', () => {
  it('reads the chain from response headers, whatever the header case', () => {
    const headers = [
      { name: 'content-type', value: 'text/html' },
      { name: 'X-Served-By', value: formatServedBy(CHAIN) },
    ];
    expect(chainFromHeaders(headers)).toEqual(CHAIN);
    expect(chainFromHeaders([{ name: 'content-type', value: 'x' }])).toBeUndefined();
  });

  it('joins a chain split over several header lines, in order', () => {
    const headers = CHAIN.map((entry) => ({ name: 'x-served-by', value: formatServedBy([entry]) }));
    expect(chainFromHeaders(headers)).toEqual(CHAIN);
  });

  it('marks canary hops and whether each is on the chosen PR', () => {
    expect(describeHops(CHAIN, '42').map((hop) => [hop.canary, hop.onChosenPr])).toEqual([
      [true, true],
      [false, false],
    ]);
    expect(describeHops(CHAIN, '7')[0]).toMatchObject({ canary: true, onChosenPr: false });
    expect(describeHops(CHAIN, null)[0]).toMatchObject({ onChosenPr: false });
  });

  it('keeps only well-formed stored chains and hops', () => {
    const stored = {
      origin: 'https://api.example.com',
      hops: [...CHAIN, { service: '<b>', track: 1 }],
      observedAt: 5,
    };
    expect(parseStoredChain(stored)).toEqual({
      origin: 'https://api.example.com',
      hops: CHAIN,
      observedAt: 5,
      sentCanary: null,
      echoedCanary: null,
      traceId: null,
    });
    expect(parseStoredChain({ ...stored, sentCanary: '42', echoedCanary: '042' })).toMatchObject({
      sentCanary: '42',
      echoedCanary: null,
    });
    expect(parseStoredChain({ ...stored, traceId: 'a'.repeat(32) })?.traceId).toBe('a'.repeat(32));
    expect(parseStoredChain({ ...stored, traceId: '<script>' })?.traceId).toBeNull();
    expect(parseStoredChain({ origin: 'javascript:x', hops: [], observedAt: 1 })).toBeUndefined();
    expect(parseStoredChain(null)).toBeUndefined();
  });

  it('reads one well-formed X-Trace-Id and links its waterfall in the local web UI', () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(traceFromHeaders([{ name: 'X-Trace-Id', value: id }])).toBe(id);
    expect(traceFromHeaders([{ name: 'x-trace-id', value: 'nope' }])).toBeNull();
    expect(
      traceFromHeaders([
        { name: 'x-trace-id', value: id },
        { name: 'x-trace-id', value: id },
      ]),
    ).toBeNull();
    expect(traceFromHeaders(undefined)).toBeNull();
  });
});

describe('whether the API received the key the extension set', () => {
  it('reads the API’s X-Canary echo, only when it is one valid PR number', () => {
    expect(echoFromHeaders([{ name: 'X-Canary', value: '42' }])).toBe('42');
    expect(echoFromHeaders([{ name: 'x-canary', value: '04' }])).toBeNull();
    expect(
      echoFromHeaders([
        { name: 'x-canary', value: '4' },
        { name: 'x-canary', value: '5' },
      ]),
    ).toBeNull();
    expect(echoFromHeaders(undefined)).toBeNull();
  });

  it('confirms, or says what happened to the key', () => {
    expect(checkKey({ sentCanary: '42', echoedCanary: '42' })).toEqual({ kind: 'confirmed', pr: '42' });
    expect(checkKey({ sentCanary: '42', echoedCanary: '7' })).toEqual({
      kind: 'replaced',
      sent: '42',
      received: '7',
    });
    expect(checkKey({ sentCanary: '42', echoedCanary: null })).toEqual({ kind: 'not-received', sent: '42' });
    expect(checkKey({ sentCanary: null, echoedCanary: '7' })).toEqual({ kind: 'foreign', received: '7' });
    expect(checkKey({ sentCanary: null, echoedCanary: null })).toEqual({ kind: 'none' });
  });

  it('words each case for the popup', () => {
    expect(describeKeyCheck({ kind: 'confirmed', pr: '42' })).toEqual({
      level: 'ok',
      text: 'The API received X-Canary 42 from PR Canary.',
    });
    expect(describeKeyCheck({ kind: 'foreign', received: '7' })?.text).toContain(
      'carry X-Canary 7, which PR Canary did not set',
    );
    expect(describeKeyCheck({ kind: 'none' })).toBeUndefined();
  });
});
