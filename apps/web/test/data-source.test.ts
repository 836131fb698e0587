import { describe, expect, it } from 'vitest';
import { dataSource, trackLabel } from '../src/data-source';
import { STABLE } from '../src/pr-choice';

const api = (track: string) => ({ service: 'api-service', track, version: '0.4.0' });
const store = (track: string) => ({ service: 'store-service', track, version: '0.4.0' });
const pr = (n: string) => ({ kind: 'pr', pr: n }) as const;

describe('dataSource: whose items a response carried', () => {
  it('names the PR whose store canary served them', () => {
    expect(dataSource([api('pr-42'), store('pr-42')], pr('42'))).toEqual({
      track: 'pr-42',
      kind: 'canary',
      label: 'PR 42',
      note: null,
    });
    // PR 7 changes only the store: the stable api forwards the key, the data is PR 7's.
    expect(dataSource([api('stable'), store('pr-7')], pr('7'))).toMatchObject({ label: 'PR 7', note: null });
  });

  it('labels items stable served as stable, not as the PR that was picked', () => {
    const source = dataSource([api('stable'), store('stable')], pr('999'));
    expect(source).toMatchObject({ track: 'stable', kind: 'stable', label: 'stable' });
    expect(source.note).toBe(
      "PR 999 has no store canary, so stable's store answered: these are stable's items.",
    );
  });

  it('says when a canary nobody picked answered (a browser extension set the key)', () => {
    expect(dataSource([api('pr-42'), store('pr-42')], STABLE).note).toMatch(
      /^You picked stable, but the PR 42 store answered: .*browser extension/,
    );
    expect(dataSource([api('stable'), store('pr-7')], pr('42')).note).toMatch(
      /^You picked PR 42, but the PR 7 store answered/,
    );
  });

  it('does not guess when the response named no store', () => {
    expect(dataSource([api('stable')], STABLE)).toMatchObject({ track: null, label: 'an unknown store' });
  });

  it('writes tracks the way the UI says them', () => {
    expect(trackLabel('pr-7')).toBe('PR 7');
    expect(trackLabel('stable')).toBe('stable');
    expect(trackLabel('beta')).toBe('beta');
  });
});
