import { describe, expect, it } from 'vitest';
import { assessRoute, hopKind, type RouteFacts } from '../src/route-verdict';

const api = (track: string) => ({ service: 'api-service', track, version: '0.4.0' });
const store = (track: string) => ({ service: 'store-service', track, version: '0.4.0' });

function facts(
  sentCanary: string | null,
  hops: RouteFacts['hops'],
  warning: string | null = null,
): RouteFacts {
  return { status: 200, sentCanary, hops, servedByPresent: true, warning };
}

describe('hopKind', () => {
  it('classifies tracks with the shared track parser', () => {
    expect(hopKind('stable')).toBe('stable');
    expect(hopKind('pr-42')).toBe('canary');
    expect(hopKind('pr-042')).toBe('unknown');
    expect(hopKind('beta')).toBe('unknown');
  });
});

describe('assessRoute', () => {
  it('confirms a request that reached the canary at every hop', () => {
    expect(assessRoute(facts('42', [api('pr-42'), store('pr-42')]))).toEqual([
      { level: 'ok', text: 'Every hop was served by the PR 42 canary.' },
    ]);
  });

  it('explains a PR that changes only the store (stable api, canary store)', () => {
    const [verdict, ...rest] = assessRoute(facts('7', [api('stable'), store('pr-7')]));
    expect(rest).toEqual([]);
    expect(verdict?.level).toBe('info');
    expect(verdict?.text).toContain('canary for store-service; api-service stayed on stable');
  });

  it('warns when the chosen PR landed nowhere', () => {
    const [verdict] = assessRoute(facts('99', [api('stable'), store('stable')]));
    expect(verdict?.level).toBe('warning');
    expect(verdict?.text).toContain('PR 99 landed nowhere');
  });

  it('passes on the API warning about an invalid key', () => {
    const warning = 'invalid canary key (not_digits): the canary key must be a PR number; served by stable';
    const verdicts = assessRoute(facts(null, [api('stable'), store('stable')], warning));
    expect(verdicts[0]).toEqual({ level: 'warning', text: `The API ignored the canary key: ${warning}` });
  });

  it('shows only the API warning when an invalid key was sent on purpose', () => {
    const warning = 'invalid canary key (not_digits): the canary key must be a PR number; served by stable';
    expect(assessRoute(facts('04x2', [api('stable'), store('stable')], warning))).toEqual([
      { level: 'warning', text: `The API ignored the canary key: ${warning}` },
    ]);
  });

  it('flags a hop served by a canary the request did not ask for', () => {
    const verdicts = assessRoute(facts('42', [api('pr-42'), store('pr-43')]));
    expect(verdicts.map((v) => v.level)).toEqual(['warning', 'info']);
    expect(verdicts[0]?.text).toContain('store-service was served by pr-43');
  });

  it('says all stable when no key was sent', () => {
    expect(assessRoute(facts(null, [api('stable'), store('stable')]))).toEqual([
      { level: 'ok', text: 'No canary key sent: every hop was stable.' },
    ]);
  });

  it('warns that the chain is incomplete when the request failed on the server', () => {
    const verdicts = assessRoute({ ...facts('42', [api('pr-42')]), status: 503 });
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]?.text).toContain('HTTP 503');
  });

  it('warns when the response had no X-Served-By at all', () => {
    const verdicts = assessRoute({
      status: 200,
      sentCanary: '42',
      hops: [],
      servedByPresent: false,
      warning: null,
    });
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]?.text).toContain('no X-Served-By header');
  });
});
