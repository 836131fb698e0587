import { ConfigError } from '@pr-canary/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';

describe('__service_name__ configuration', () => {
  it('has a default for every variable but the version', () => {
    const config = loadConfig({ SERVICE_VERSION: '0.1.0' });
    expect(config).toMatchObject({ PORT: 8080, METRICS_PORT: 9090, CANARY_TRACK: 'stable' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the variable that is wrong, never its value', () => {
    expect(() => loadConfig({ SERVICE_VERSION: '0.1.0', PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ SERVICE_VERSION: '0.1.0', PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ SERVICE_VERSION: '0.1.0', PORT: 'eighty' })).not.toThrow(/eighty/);
  });

  it('refuses faults where the canary key is not trusted', () => {
    expect(() => loadConfig({ CANARY_HEADER_TRUSTED: 'false', CANARY_FAULTS: 'error-rate=0.5' })).toThrow(
      /CANARY_FAULTS must not be set where the canary key is untrusted/,
    );
  });
});
