import { parseCanaryKey } from '@pr-canary/contracts/canary-key';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { currentScope, runWithCanary } from '../src/context';
import { canaryFastifyPlugin } from '../src/fastify-plugin';
import { canaryServerInterceptor } from '../src/grpc';
import { assertValidIdentity, identityEntry, servedByChain } from '../src/identity';
import { createServiceMetrics } from '../src/metrics';
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

describe('assertValidIdentity', () => {
  const broken = { service: 'api service', track: 'stable', version: '1.0.0' } as const;

  it('accepts a sendable identity and refuses one that cannot be written as served-by', () => {
    expect(() => assertValidIdentity(apiIdentity)).not.toThrow();
    expect(() => assertValidIdentity(broken)).toThrow(TypeError);
    expect(() => assertValidIdentity({ ...apiIdentity, version: '1.0\n' })).toThrow(TypeError);
  });

  it('makes the plugin and the server interceptor fail at startup, not on the first response', async () => {
    const app = Fastify();
    app.register(canaryFastifyPlugin, {
      identity: broken,
      trustHeader: true,
      metrics: createServiceMetrics({ identity: broken }),
    });
    await expect(app.ready()).rejects.toThrow(TypeError);
    expect(() => canaryServerInterceptor({ identity: broken, trustKey: true })).toThrow(TypeError);
  });
});
