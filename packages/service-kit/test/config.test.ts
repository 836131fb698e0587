import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  commonEnvVariables,
  defineServiceConfig,
  envVariable,
  InvalidValue,
  millisecondsVariable,
  parseEnv,
  patternVariable,
  portVariable,
} from '../src/config';

const serviceVariables = {
  ...commonEnvVariables,
  STORE_ADDR: patternVariable(/^[^\s:]+:\d+$/, 'must be host:port'),
  STORE_DEADLINE_MS: millisecondsVariable(2000),
  API_TOKEN: envVariable((text) => {
    if (text.length < 32) throw new InvalidValue('must be at least 32 characters');
    return text;
  }),
};

const minimal = { STORE_ADDR: 'store:8080', API_TOKEN: 'x'.repeat(32) };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv with commonEnvVariables', () => {
  it('applies the documented defaults', () => {
    expect(parseEnv(serviceVariables, minimal)).toEqual({
      ...minimal,
      CANARY_TRACK: 'stable',
      SERVICE_VERSION: '0.0.0-dev',
      LOG_LEVEL: 'info',
      METRICS_PORT: 9090,
      CANARY_HEADER_TRUSTED: true,
      CANARY_FAULTS: { errorRate: 0, latencyMs: 0, latencyRate: 1, fail: [] },
      CANARY_FAULTS_ADMIN: false,
      HOST: '0.0.0.0',
      PORT: 8080,
      SHUTDOWN_DRAIN_MS: 5000,
      STORE_DEADLINE_MS: 2000,
    });
  });

  it('parses explicit values and treats empty strings as unset', () => {
    const config = parseEnv(serviceVariables, {
      ...minimal,
      CANARY_TRACK: 'pr-42',
      SERVICE_VERSION: '0.4.0-pr.42+abc1234',
      LOG_LEVEL: 'debug',
      METRICS_PORT: '0',
      CANARY_HEADER_TRUSTED: 'false',
      HOST: '::1',
      PORT: '',
    });
    expect(config).toMatchObject({
      HOST: '::1',
      CANARY_TRACK: 'pr-42',
      LOG_LEVEL: 'debug',
      METRICS_PORT: 0,
      CANARY_HEADER_TRUSTED: false,
      PORT: 8080,
    });
  });

  it('returns a frozen result', () => {
    const config = parseEnv(serviceVariables, minimal);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad variable, says why, and never echoes a value', () => {
    const error = configError(() =>
      parseEnv(serviceVariables, {
        CANARY_TRACK: 'pr-042',
        METRICS_PORT: '70000',
        CANARY_HEADER_TRUSTED: 'yes',
        HOST: 'everywhere',
        API_TOKEN: 'hunter2-secret',
      }),
    );
    expect(error.variables).toEqual(
      expect.arrayContaining([
        'CANARY_TRACK',
        'METRICS_PORT',
        'CANARY_HEADER_TRUSTED',
        'HOST',
        'STORE_ADDR',
        'API_TOKEN',
      ]),
    );
    expect(error.message).toContain('STORE_ADDR: is required');
    expect(error.message).toContain('CANARY_HEADER_TRUSTED: must be "true" or "false"');
    expect(error.message).toMatch(/CANARY_TRACK: a track must be "stable" or "pr-<PR number>"/);
    expect(error.message).toContain('HOST: must be an IP address to bind');
    expect(error.message).not.toContain('everywhere');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('pr-042');
  });

  it.each([
    ['LOG_LEVEL', 'loud'],
    ['SERVICE_VERSION', 'v 1'],
    ['PORT', '80.5'],
    ['PORT', '1e3'],
    ['PORT', '0x50'],
    ['PORT', '08080'],
    ['PORT', '-0'],
    ['PORT', ' 80'],
    ['PORT', '65536'],
    ['HOST', 'localhost'],
    ['STORE_DEADLINE_MS', '-1'],
    ['STORE_DEADLINE_MS', '3600001'],
    ['CANARY_FAULTS', 'error-rate=2'],
  ])('rejects %s=%j', (variable, value) => {
    expect(
      configError(() => parseEnv(serviceVariables, { ...minimal, [variable]: value })).variables,
    ).toEqual([variable]);
  });
});

describe('defineServiceConfig', () => {
  const { configVariables, loadConfig } = defineServiceConfig({
    TABLE: patternVariable(/^[a-z]{3,20}$/, 'must be 3 to 20 lower-case letters'),
    PORT: portVariable(50051),
  });

  it("adds the service's own variables to the common ones, and may change a common default", () => {
    expect(Object.keys(configVariables)).toEqual(
      expect.arrayContaining(['TABLE', 'PORT', 'HOST', 'METRICS_PORT', 'SHUTDOWN_DRAIN_MS', 'CANARY_TRACK']),
    );
    const config = loadConfig({ TABLE: 'items' });
    expect(config).toMatchObject({ TABLE: 'items', PORT: 50051, HOST: '0.0.0.0', SHUTDOWN_DRAIN_MS: 5000 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names a bad own variable and a bad common one together, never their values', () => {
    const error = configError(() => loadConfig({ TABLE: 'Items!', METRICS_PORT: 'ninety' }));
    expect([...error.variables].sort()).toEqual(['METRICS_PORT', 'TABLE']);
    expect(error.message).toContain('TABLE: must be 3 to 20 lower-case letters');
    expect(error.message).not.toMatch(/Items!|ninety/);
  });

  it('refuses faults where the canary key is untrusted', () => {
    const error = configError(() =>
      loadConfig({ TABLE: 'items', CANARY_HEADER_TRUSTED: 'false', CANARY_FAULTS_ADMIN: 'true' }),
    );
    expect(error.variables).toEqual(['CANARY_FAULTS_ADMIN']);
  });

  it('refuses one port for the service and its metrics (instead of failing later with EADDRINUSE); 0 is two free ports', () => {
    const error = configError(() => loadConfig({ TABLE: 'items', PORT: '18080', METRICS_PORT: '18080' }));
    expect(error.variables).toEqual(['PORT', 'METRICS_PORT']);
    expect(error.message).toBe(
      'invalid configuration: PORT and METRICS_PORT must differ (both are 18080): the metrics server needs a port of its own',
    );
    expect(loadConfig({ TABLE: 'items', PORT: '0', METRICS_PORT: '0' })).toMatchObject({
      PORT: 0,
      METRICS_PORT: 0,
    });
  });
});
