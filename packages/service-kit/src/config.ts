import { faultsVariable, hasFaults } from '@pr-canary/canary-context';
import { parseTrack } from '@pr-canary/contracts/canary-key';
import { SERVICE_VERSION_PATTERN, SERVICE_VERSION_RULE } from '@pr-canary/contracts/served-by';
import { z } from 'zod';

/** Thrown when the environment does not satisfy a service's schema; names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    /** The variables that were missing or invalid. */
    readonly variables: readonly string[],
  ) {
    super(message);
  }
}

/** A TCP port from the environment (0 = pick a free port). */
export function portVariable(defaultPort: number) {
  return z.coerce.number<string>().int().min(0).max(65_535).default(defaultPort);
}

/** An IP address to bind (IPv4 or IPv6 literal): `0.0.0.0` (every interface) by default, `127.0.0.1` for loopback only. */
export function hostVariable(defaultHost = '0.0.0.0') {
  return z
    .union([z.ipv4(), z.ipv6()], { error: 'must be an IP address to bind, e.g. 0.0.0.0 or 127.0.0.1' })
    .default(defaultHost);
}

/** A whole number of milliseconds from the environment. */
export function millisecondsVariable(defaultMs: number) {
  return z.coerce.number<string>().int().min(0).max(3_600_000).default(defaultMs);
}

/** `true` or `false` (exactly; anything else is an error rather than a silent default). */
export function booleanVariable(defaultValue: boolean) {
  return z
    .enum(['true', 'false'], { message: 'must be "true" or "false"' })
    .default(defaultValue ? 'true' : 'false')
    .transform((value) => value === 'true');
}

const trackSchema = z
  .string()
  .default('stable')
  .transform((value, ctx) => {
    try {
      return parseTrack(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/**
 * Variables every service reads. A service adds its own with `defineServiceConfig` (or spreads
 * `commonEnvSchema.shape` into a `z.object`).
 */
export const commonEnvSchema = z.object({
  /** The IP address to bind (the service's port and the metrics port). */
  HOST: hostVariable(),
  PORT: portVariable(8080),
  /** How long a stopping instance keeps answering, not ready, before it closes (shutdown step 2). */
  SHUTDOWN_DRAIN_MS: millisecondsVariable(5000),
  CANARY_TRACK: trackSchema,
  SERVICE_VERSION: z.string().regex(SERVICE_VERSION_PATTERN, SERVICE_VERSION_RULE).default('0.0.0-dev'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_PORT: portVariable(9090),
  CANARY_HEADER_TRUSTED: booleanVariable(true),
  /** Faults on purpose (see faults.ts); refused where the key is untrusted. */
  CANARY_FAULTS: faultsVariable(),
  /** Serve GET/PUT/DELETE /faults on the metrics port; refused where the key is untrusted. */
  CANARY_FAULTS_ADMIN: booleanVariable(false),
});

export type CommonEnv = z.infer<typeof commonEnvSchema>;

/**
 * Where the key is not trusted (production: `CANARY_HEADER_TRUSTED=false`), nothing may make an
 * instance misbehave on purpose: faults and their admin endpoint are refused at start.
 */
export function assertFaultsAllowed(
  config: Pick<CommonEnv, 'CANARY_HEADER_TRUSTED' | 'CANARY_FAULTS' | 'CANARY_FAULTS_ADMIN'>,
): void {
  if (config.CANARY_HEADER_TRUSTED) return;
  const refused = [
    hasFaults(config.CANARY_FAULTS) ? 'CANARY_FAULTS' : undefined,
    config.CANARY_FAULTS_ADMIN ? 'CANARY_FAULTS_ADMIN' : undefined,
  ].filter((name): name is string => name !== undefined);
  if (refused.length > 0)
    throw new ConfigError(
      `invalid configuration: ${refused.join(' and ')} must not be set where the canary key is untrusted (CANARY_HEADER_TRUSTED=false)`,
      refused,
    );
}

/**
 * A service's config, from its own variables (a zod shape) on top of `commonEnvSchema`:
 * `configSchema` (what manifests and checks read the variable names from) and `loadConfig(env)`,
 * which parses once (`parseEnv`) and refuses faults where the key is untrusted
 * (`assertFaultsAllowed`). Own variables may override a common one's default (e.g. `PORT`).
 */
export function defineServiceConfig<Own extends z.ZodRawShape>(own: Own) {
  const configSchema = commonEnvSchema.extend(own);
  type Config = z.infer<typeof configSchema>;
  function loadConfig(env: Record<string, string | undefined>): Config {
    const config = parseEnv(configSchema, env);
    assertFaultsAllowed(config as CommonEnv);
    return config;
  }
  return { configSchema, loadConfig };
}

/**
 * Parses the environment once against `schema`. Empty strings count as unset (so `FOO=` in an env
 * file falls back to the default). Throws a ConfigError naming each bad variable and why, never its
 * value. The result is frozen.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.infer<S> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present);
  if (!result.success) throw configErrorFrom(result.error, present);
  return deepFreeze(result.data);
}

function configErrorFrom(error: z.ZodError, present: Record<string, string | undefined>): ConfigError {
  const problems = error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const why = issue.path.length === 1 && present[variable] === undefined ? 'is required' : issue.message;
    return { variable, text: `${variable}: ${why}` };
  });
  const variables = [...new Set(problems.map((p) => p.variable))];
  return new ConfigError(`invalid configuration: ${problems.map((p) => p.text).join('; ')}`, variables);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
