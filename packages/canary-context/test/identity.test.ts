import { describe, expect, it } from 'vitest';
import { currentScope, runWithCanary } from '../src/context';
import { identityEntry, servedByChain } from '../src/identity';
import { parseCanaryKey } from '../src/key';
import { apiIdentity } from './helper';

describe('servedByChain', () => {
  const own = identityEntry(apiIdentity);
  const store = { service: 'store-service', track: 'pr-42', version: '0.5.0' };

  it('is the own entry alone outside a scope', () => {
    expect(servedByChain(apiIdentity)).toEqual([own]);
  });

  it('is the own entry followed by the downstream entries of the current scope', () => {
    const chain = runWithCanary(parseCanaryKey('42'), () => {
      currentScope()?.downstream.push(store);
      return servedByChain(apiIdentity);
    });
    expect(chain).toEqual([own, store]);
  });

  it('copies the entry, so callers cannot change the identity through it', () => {
    const entry = identityEntry(apiIdentity);
    entry.version = 'changed';
    expect(apiIdentity.version).toBe('0.4.0');
  });
});
