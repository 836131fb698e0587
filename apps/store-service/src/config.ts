import {
  assertFaultsAllowed,
  booleanVariable,
  commonEnvSchema,
  hostVariable,
  millisecondsVariable,
  parseEnv,
  portVariable,
} from '@pr-canary/service-kit';
import { z } from 'zod';

/**
 * Every environment variable store-service reads, with its default. OTEL_* are read by
 * `@pr-canary/service-kit/register`, not here. Manifests and Dockerfile checks import this
 * schema to learn the variable names.
 */
export const configSchema = z.object({
  ...commonEnvSchema.shape,
  HOST: hostVariable(),
  PORT: portVariable(8080),
  DYNAMODB_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)'),
  DYNAMODB_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  DYNAMODB_CREATE_TABLE: booleanVariable(false),
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as us-east-1')
    .default('us-east-1'),
  SHUTDOWN_DRAIN_MS: millisecondsVariable(5000),
});

export type StoreConfig = z.infer<typeof configSchema>;

/**
 * Parses the environment once; throws ConfigError naming each bad variable (and faults where the key
 * is untrusted). The result is frozen.
 */
export function loadConfig(env: Record<string, string | undefined>): StoreConfig {
  const config = parseEnv(configSchema, env);
  assertFaultsAllowed(config);
  return config;
}
