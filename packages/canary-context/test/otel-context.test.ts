import { baggageEntryMetadataFromString, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { ABSENT_KEY, parseCanaryKey } from '@pr-canary/contracts/canary-key';
import { describe, expect, it } from 'vitest';
import { contextWithCanaryBaggage } from '../src/otel-context';

const entries = (ctx: typeof ROOT_CONTEXT) =>
  Object.fromEntries(
    (propagation.getBaggage(ctx)?.getAllEntries() ?? []).map(([name, entry]) => [name, entry.value]),
  );

const withBaggage = (values: Record<string, string>) =>
  propagation.setBaggage(
    ROOT_CONTEXT,
    propagation.createBaggage(Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value }]))),
  );

describe('contextWithCanaryBaggage', () => {
  it('sets the canary member of a valid key, keeping the other members', () => {
    expect(entries(contextWithCanaryBaggage(parseCanaryKey('42'), ROOT_CONTEXT))).toEqual({ canary: '42' });
    const base = withBaggage({ tenant: 'a', canary: '7' });
    expect(entries(contextWithCanaryBaggage(parseCanaryKey('42'), base))).toEqual({
      tenant: 'a',
      canary: '42',
    });
  });

  it('removes the canary member for an absent or invalid key, keeping the other members', () => {
    const base = withBaggage({ tenant: 'a', canary: '7' });
    expect(entries(contextWithCanaryBaggage(ABSENT_KEY, base))).toEqual({ tenant: 'a' });
    expect(entries(contextWithCanaryBaggage(parseCanaryKey('4x'), base))).toEqual({ tenant: 'a' });
  });

  it('returns the context itself when it already says the key (no copy per request)', () => {
    expect(contextWithCanaryBaggage(ABSENT_KEY, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
    const other = withBaggage({ tenant: 'a' });
    expect(contextWithCanaryBaggage(ABSENT_KEY, other)).toBe(other);
    const withProperties = propagation.setBaggage(
      ROOT_CONTEXT,
      propagation.createBaggage({
        canary: { value: '42', metadata: baggageEntryMetadataFromString('prop=x') },
      }),
    );
    // The same value with a sender's properties is rewritten: only the validated value goes on.
    const rewritten = contextWithCanaryBaggage(parseCanaryKey('42'), withProperties);
    expect(propagation.getBaggage(rewritten)?.getEntry('canary')).toEqual({ value: '42' });
    const same = withBaggage({ canary: '42' });
    expect(contextWithCanaryBaggage(parseCanaryKey('42'), same)).toBe(same);
  });
});
