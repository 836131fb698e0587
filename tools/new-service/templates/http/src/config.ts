/**
 * __service_name__ configuration: parsed once from the environment, validated, frozen. The only module
 * that knows the variable names (the registry names this package, so the manifests' checks read
 * `configSchema` for them). Add a variable here, to `.env.example` and to the README.
 */
import {
  commonEnvSchema,
  hostVariable,
  millisecondsVariable,
  parseEnv,
  portVariable,
} from '@pr-canary/service-kit';
import { z } from 'zod';

export const configSchema = z.object({
  ...commonEnvSchema.shape,
  HOST: hostVariable(),
  PORT: portVariable(8080),
  SHUTDOWN_DRAIN_MS: millisecondsVariable(5000),
});

export type __Pascal__Config = z.infer<typeof configSchema>;

/** Parses and freezes the configuration; throws `ConfigError` naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): __Pascal__Config {
  return parseEnv(configSchema, env);
}
