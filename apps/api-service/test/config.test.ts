import { ConfigError } from '@pr-canary/service-kit';
import { describe, expect, it } from 'vitest';
import { configVariables, loadConfig } from '../src/config';

const REQUIRED = { STORE_ADDR: 'store-service:80' };

function configErrorMessage(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = loadConfig(REQUIRED);
    expect(config).toMatchObject({
      HOST: '0.0.0.0',
      PORT: 8080,
      METRICS_PORT: 9090,
      STORE_ADDR: 'store-service:80',
      STORE_DEADLINE_MS: 2000,
      READINESS_DEADLINE_MS: 500,
      REQUEST_TIMEOUT_MS: 30_000,
      SHUTDOWN_DRAIN_MS: 5000,
      CORS_ALLOWED_ORIGINS: [],
      CANARY_TRACK: 'stable',
      CANARY_HEADER_TRUSTED: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '9191',
      STORE_ADDR: '[::1]:50051',
      STORE_DEADLINE_MS: '750',
      READINESS_DEADLINE_MS: '100',
      REQUEST_TIMEOUT_MS: '5000',
      SHUTDOWN_DRAIN_MS: '0',
      CORS_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173 ,HTTPS://Web.Example.com:443',
      CANARY_TRACK: 'pr-42',
      CANARY_HEADER_TRUSTED: 'false',
      SERVICE_VERSION: '0.4.0',
    });
    expect(config).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 0,
      METRICS_PORT: 9191,
      STORE_ADDR: '[::1]:50051',
      STORE_DEADLINE_MS: 750,
      READINESS_DEADLINE_MS: 100,
      REQUEST_TIMEOUT_MS: 5000,
      SHUTDOWN_DRAIN_MS: 0,
      CANARY_TRACK: 'pr-42',
      CANARY_HEADER_TRUSTED: false,
      SERVICE_VERSION: '0.4.0',
    });
    expect(config.CORS_ALLOWED_ORIGINS).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
      'https://web.example.com',
    ]);
  });

  it('refuses faults where the key is untrusted (production)', () => {
    expect(() =>
      loadConfig({ ...REQUIRED, CANARY_HEADER_TRUSTED: 'false', CANARY_FAULTS: 'error-rate=0.5' }),
    ).toThrow(/CANARY_FAULTS must not be set where the canary key is untrusted/);
    expect(loadConfig({ ...REQUIRED, CANARY_FAULTS: 'fail=GET /api/items/:id' }).CANARY_FAULTS.fail).toEqual([
      'GET /api/items/:id',
    ]);
  });

  it('requires STORE_ADDR', () => {
    expect(configErrorMessage({})).toContain('STORE_ADDR');
  });

  it.each(['store-service', 'http://store:80', 'store:0', 'store:70000', 'store:80/path', ':80'])(
    'refuses STORE_ADDR=%s',
    (addr) => {
      expect(configErrorMessage({ STORE_ADDR: addr })).toContain('STORE_ADDR');
    },
  );

  it.each([
    '*',
    'https://*.example.com',
    'https://app.example.com/',
    'https://app.example.com/path',
    'app.example.com',
    'ftp://app.example.com',
    'https://user@app.example.com',
    'https://app.example.com?x=1',
  ])('refuses CORS_ALLOWED_ORIGINS entry %s', (origin) => {
    expect(
      configErrorMessage({ ...REQUIRED, CORS_ALLOWED_ORIGINS: `https://ok.example.com,${origin}` }),
    ).toContain('CORS_ALLOWED_ORIGINS');
  });

  it.each([
    ['HOST', 'localhost:80'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['STORE_DEADLINE_MS', '0'],
    ['STORE_DEADLINE_MS', '2.5'],
    ['CANARY_HEADER_TRUSTED', 'yes'],
    ['READINESS_DEADLINE_MS', 'soon'],
    ['REQUEST_TIMEOUT_MS', '0'],
    ['SHUTDOWN_DRAIN_MS', '-5'],
    ['CANARY_TRACK', 'canary'],
  ])('refuses %s=%j and names the variable', (name, value) => {
    expect(configErrorMessage({ ...REQUIRED, [name]: value })).toContain(name);
  });

  it('names every bad variable at once', () => {
    const message = configErrorMessage({ STORE_ADDR: 'nope', PORT: 'x' });
    expect(message).toContain('STORE_ADDR');
    expect(message).toContain('PORT');
  });

  it('exposes the schema with every variable the api reads', () => {
    expect(Object.keys(configVariables).sort()).toEqual(
      [
        'CANARY_FAULTS',
        'CANARY_FAULTS_ADMIN',
        'CANARY_HEADER_TRUSTED',
        'CANARY_TRACK',
        'CORS_ALLOWED_ORIGINS',
        'HOST',
        'LOG_LEVEL',
        'METRICS_PORT',
        'PORT',
        'READINESS_DEADLINE_MS',
        'REQUEST_TIMEOUT_MS',
        'SERVICE_VERSION',
        'SHUTDOWN_DRAIN_MS',
        'STORE_ADDR',
        'STORE_DEADLINE_MS',
      ].sort(),
    );
  });
});
