import { describe, expect, it } from 'vitest';
import { assessRoute, hopKind, type RouteFacts } from '../src/route-verdict';

const api = (track: string) => ({ service: 'api-service', track, version: '0.4.0' });
const store = (track: string) => ({ service: 'store-service', track, version: '0.4.0' });

function facts(
  sentCanary: string | null,
  hops: RouteFacts['hops'],
  warning: string | null = null,
): RouteFacts {
  const echoedCanary = sentCanary !== null && /^[1-9][0-9]{0,8}$/.test(sentCanary) ? sentCanary : null;
  return { status: 200, sentCanary, echoedCanary, hops, servedByPresent: true, warning, errorMessage: null };
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
    expect(verdict?.text).toBe(
      'PR 7 has a canary for store-service; api-service has none, so stable served it.',
    );
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

  it('shows the API’s message for a canary that is declared but not running, not a guess', () => {
    const message = 'the PR 7 canary of store-service is declared but not running';
    const verdicts = assessRoute({
      ...facts('7', [api('stable')]),
      status: 503,
      errorMessage: `${message}.`,
    });
    expect(verdicts).toEqual([
      {
        level: 'warning',
        text: `The request failed with HTTP 503: ${message}. Hops after the failing one are missing.`,
      },
    ]);
  });

  it('does not call hops missing when every hop of the request reported (the store itself failed)', () => {
    // A store fault failing ListItems: the store answered (with an error) and said so in X-Served-By.
    const message = 'the store failed: INTERNAL: injected fault (fail=ListItems)';
    const verdicts = assessRoute({
      ...facts('42', [api('pr-42'), store('pr-42')]),
      status: 502,
      errorMessage: message,
    });
    expect(verdicts).toEqual([{ level: 'warning', text: `The request failed with HTTP 502: ${message}.` }]);
  });

  it('shows the message of an error the router answered itself (no X-Served-By), without blaming CORS', () => {
    const message = 'the PR 42 canary of api-service is declared but not running';
    const verdicts = assessRoute({
      ...facts('42', []),
      status: 503,
      servedByPresent: false,
      errorMessage: message,
    });
    expect(verdicts).toEqual([{ level: 'warning', text: `The request failed with HTTP 503: ${message}.` }]);
  });

  it('says when the API received another key than the page sent (a browser extension replaced it)', () => {
    const verdicts = assessRoute({ ...facts('42', [api('stable'), store('pr-7')]), echoedCanary: '7' });
    expect(verdicts[0]).toEqual({
      level: 'warning',
      text: 'This page sent X-Canary: 42, but the API received 7: a browser extension (such as PR Canary) or a proxy replaced it.',
    });
    // The rest is judged by the key the API really got.
    expect(verdicts.slice(1).map((v) => v.text)).toEqual([
      'PR 7 has a canary for store-service; api-service has none, so stable served it.',
    ]);
  });

  it('says when the API received a key the page never sent', () => {
    const verdicts = assessRoute({ ...facts(null, [api('pr-42'), store('pr-42')]), echoedCanary: '42' });
    expect(verdicts.map((v) => v.text)).toEqual([
      'This page sent no X-Canary, but the API received X-Canary: 42: a browser extension (such as PR Canary) or a proxy added it.',
      'Every hop was served by the PR 42 canary.',
    ]);
  });

  it('warns when the response had no X-Served-By at all', () => {
    const verdicts = assessRoute({
      status: 200,
      sentCanary: '42',
      echoedCanary: null,
      hops: [],
      servedByPresent: false,
      warning: null,
      errorMessage: null,
    });
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]?.text).toContain('no X-Served-By header');
  });
});
