import { ConfigError } from '@pr-canary/service-kit';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../src/config';

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
    });
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
    expect(Object.keys(configSchema.shape).sort()).toEqual([
      'AWS_REGION',
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
