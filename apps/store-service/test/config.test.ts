import { ConfigError } from '@pr-canary/service-kit';
import { describe, expect, it } from 'vitest';
import { configVariables, loadConfig } from '../src/config';

const minimal = { DYNAMODB_TABLE: 'items' };

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('store-service config', () => {
  it('fills in every default', () => {
    expect(loadConfig(minimal)).toEqual({
      DYNAMODB_TABLE: 'items',
      HOST: '0.0.0.0',
      PORT: 8080,
      METRICS_PORT: 9090,
      DYNAMODB_CREATE_TABLE: false,
      AWS_REGION: 'us-east-1',
      SHUTDOWN_DRAIN_MS: 5000,
      CANARY_TRACK: 'stable',
      SERVICE_VERSION: '0.0.0-dev',
      LOG_LEVEL: 'info',
      CANARY_HEADER_TRUSTED: true,
      CANARY_FAULTS: { errorRate: 0, latencyMs: 0, latencyRate: 1, fail: [] },
      CANARY_FAULTS_ADMIN: false,
    });
  });

  it('takes faults where the key is trusted, and refuses them (and their admin endpoint) where it is not', () => {
    expect(
      loadConfig({ ...minimal, CANARY_FAULTS: 'error-rate=0.2,fail=GetItem' }).CANARY_FAULTS,
    ).toMatchObject({
      errorRate: 0.2,
      fail: ['GetItem'],
    });
    expect(() => loadConfig({ ...minimal, CANARY_FAULTS: 'error-rate=2' })).toThrow(
      'CANARY_FAULTS: error-rate must be a fraction from 0 to 1',
    );
    const untrusted = { ...minimal, CANARY_HEADER_TRUSTED: 'false' };
    expect(() =>
      loadConfig({ ...untrusted, CANARY_FAULTS: 'latency=100ms', CANARY_FAULTS_ADMIN: 'true' }),
    ).toThrow(
      'CANARY_FAULTS and CANARY_FAULTS_ADMIN must not be set where the canary key is untrusted (CANARY_HEADER_TRUSTED=false)',
    );
    expect(loadConfig({ ...untrusted, CANARY_FAULTS: 'none' }).CANARY_HEADER_TRUSTED).toBe(false);
  });

  it('reads every variable it documents', () => {
    const config = loadConfig({
      DYNAMODB_TABLE: 'items-pr-42',
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
      DYNAMODB_CREATE_TABLE: 'true',
      AWS_REGION: 'eu-central-1',
      SHUTDOWN_DRAIN_MS: '250',
      CANARY_TRACK: 'pr-42',
      SERVICE_VERSION: '0.4.0',
      LOG_LEVEL: 'debug',
      CANARY_HEADER_TRUSTED: 'false',
    });
    expect(config).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 0,
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
      DYNAMODB_CREATE_TABLE: true,
      AWS_REGION: 'eu-central-1',
      CANARY_TRACK: 'pr-42',
      CANARY_HEADER_TRUSTED: false,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('lists exactly the variables the schema declares', () => {
    expect(Object.keys(configVariables).sort()).toEqual([
      'AWS_REGION',
      'CANARY_FAULTS',
      'CANARY_FAULTS_ADMIN',
      'CANARY_HEADER_TRUSTED',
      'CANARY_TRACK',
      'DYNAMODB_CREATE_TABLE',
      'DYNAMODB_ENDPOINT',
      'DYNAMODB_TABLE',
      'HOST',
      'LOG_LEVEL',
      'METRICS_PORT',
      'PORT',
      'SERVICE_VERSION',
      'SHUTDOWN_DRAIN_MS',
    ]);
  });

  it.each([
    [{}, 'DYNAMODB_TABLE', 'is required'],
    [{ ...minimal, DYNAMODB_TABLE: 'x' }, 'DYNAMODB_TABLE', 'table name'],
    [{ ...minimal, PORT: '70000' }, 'PORT', ''],
    [{ ...minimal, DYNAMODB_ENDPOINT: 'ftp://example.com' }, 'DYNAMODB_ENDPOINT', 'http(s) URL'],
    [
      { ...minimal, DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567/\u001b[31m' },
      'DYNAMODB_ENDPOINT',
      'http(s) URL',
    ],
    [{ ...minimal, DYNAMODB_ENDPOINT: 'http://127.0.0.1:45\t67' }, 'DYNAMODB_ENDPOINT', 'http(s) URL'],
    [{ ...minimal, DYNAMODB_CREATE_TABLE: 'yes' }, 'DYNAMODB_CREATE_TABLE', '"true" or "false"'],
    [{ ...minimal, AWS_REGION: 'mars' }, 'AWS_REGION', 'AWS region'],
    [{ ...minimal, SHUTDOWN_DRAIN_MS: 'soon' }, 'SHUTDOWN_DRAIN_MS', ''],
  ])('names the bad variable: %o → %s', (env, variable, says) => {
    const error = configErrorOf(env);
    expect(error.variables).toEqual([variable]);
    expect(error.message).toContain(`${variable}: `);
    expect(error.message).toContain(says);
  });

  it('never echoes a rejected value', () => {
    const error = configErrorOf({ ...minimal, AWS_REGION: 'secret-value-123' });
    expect(error.message).not.toContain('secret-value-123');
  });
});
