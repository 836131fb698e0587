/**
 * A service's configuration from the environment: each variable read by a small reader (its default,
 * or "is required"), every bad one named with the reason and never its value, the result frozen. No
 * schema library: this runs at every start of every service, and zod alone held ~5 MB of an idle
 * service's memory for a dozen variables.
 */
import { isIP } from 'node:net';
import { FaultSpecError, hasFaults, NO_FAULTS, parseFaultSpec } from '@pr-canary/canary-context';
import { isTrack, TRACK_RULE, type Track } from '@pr-canary/contracts/canary-key';
import { SERVICE_VERSION_PATTERN, SERVICE_VERSION_RULE } from '@pr-canary/contracts/served-by';
import { LOG_LEVELS } from './log-levels';

/** Thrown when the environment does not satisfy a service's variables; names every bad variable. */
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

/** Why a variable's text is refused, in words that never quote it: "must be a port number …". */
export class InvalidValue extends Error {
  override readonly name = 'InvalidValue';
}

/** One environment variable: its text (undefined when unset or empty) to its value, or InvalidValue. */
export interface EnvVariable<T> {
  read(text: string | undefined): T;
}

export type EnvVariables = Readonly<Record<string, EnvVariable<unknown>>>;

/** The config a set of variables reads to. */
export type ConfigOf<V extends EnvVariables> = {
  readonly [K in keyof V]: V[K] extends EnvVariable<infer T> ? T : never;
};

/** A variable read by `parse` when set, else `fallback` (a value, or "is required" when absent). */
export function envVariable<T>(parse: (text: string) => T, ...fallback: [] | [T]): EnvVariable<T> {
  return {
    read(text) {
      if (text !== undefined) return parse(text);
      if (fallback.length === 0) throw new InvalidValue('is required');
      return fallback[0] as T;
    },
  };
}

/** A variable that may be unset (undefined). */
export function optionalVariable<T>(parse: (text: string) => T): EnvVariable<T | undefined> {
  return { read: (text) => (text === undefined ? undefined : parse(text)) };
}

/** Text that must match `pattern`; `rule` says what it must be. */
export function patternVariable(
  pattern: RegExp,
  rule: string,
  ...fallback: [] | [string]
): EnvVariable<string> {
  return envVariable(
    (text) => {
      if (!pattern.test(text)) throw new InvalidValue(rule);
      return text;
    },
    ...fallback,
  );
}

/** One of a fixed set of words. */
export function enumVariable<const W extends string>(words: readonly W[], fallback: W): EnvVariable<W> {
  return envVariable((text) => {
    if (!(words as readonly string[]).includes(text))
      throw new InvalidValue(`must be one of ${words.join(', ')}`);
    return text as W;
  }, fallback);
}

/**
 * A whole number in [min, max], written in plain decimal digits as a person writes it: no leading
 * zero (`08080` reads as octal to some tools and 8080 to others), no `-0`.
 */
function wholeNumber(text: string, min: number, max: number, what: string): number {
  const value = /^(0|-?[1-9][0-9]{0,9})$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new InvalidValue(`must be ${what} from ${min} to ${max}`);
  return value;
}

/** A TCP port from the environment (0 = pick a free port). */
export function portVariable(defaultPort: number): EnvVariable<number> {
  return envVariable((text) => wholeNumber(text, 0, 65_535, 'a port number'), defaultPort);
}

/** An IP address to bind (IPv4 or IPv6 literal): `0.0.0.0` (every interface) by default, `127.0.0.1` for loopback only. */
export function hostVariable(defaultHost = '0.0.0.0'): EnvVariable<string> {
  return envVariable((text) => {
    if (isIP(text) === 0) throw new InvalidValue('must be an IP address to bind, e.g. 0.0.0.0 or 127.0.0.1');
    return text;
  }, defaultHost);
}

/** A whole number of milliseconds from the environment, at least `min` (a deadline needs 1). */
export function millisecondsVariable(defaultMs: number, min = 0): EnvVariable<number> {
  return envVariable(
    (text) => wholeNumber(text, min, 3_600_000, 'a whole number of milliseconds'),
    defaultMs,
  );
}

/** `true` or `false` (exactly; anything else is an error rather than a silent default). */
export function booleanVariable(defaultValue: boolean): EnvVariable<boolean> {
  return envVariable((text) => {
    if (text !== 'true' && text !== 'false') throw new InvalidValue('must be "true" or "false"');
    return text === 'true';
  }, defaultValue);
}

const trackVariable = envVariable((text): Track => {
  if (!isTrack(text)) throw new InvalidValue(TRACK_RULE);
  return text;
}, 'stable' as Track);

/**
 * `CANARY_FAULTS`: the faults an instance starts with (compact spec or JSON, see canary-context's
 * faults.ts); unset means none. A bad spec fails the start with the parser's message.
 */
const faultsVariable = envVariable(
  (text) => {
    try {
      return parseFaultSpec(text);
    } catch (error) {
      if (error instanceof FaultSpecError) throw new InvalidValue(error.message);
      throw error;
    }
  },
  { ...NO_FAULTS, fail: [] },
);

/**
 * Variables every service reads. A service adds its own with `defineServiceConfig` (or spreads
 * `commonEnvVariables` into its own set for `parseEnv`).
 */
export const commonEnvVariables = {
  /** The IP address to bind (the service's port and the metrics port). */
  HOST: hostVariable(),
  PORT: portVariable(8080),
  /** How long a stopping instance keeps answering, not ready, before it closes (shutdown step 2). */
  SHUTDOWN_DRAIN_MS: millisecondsVariable(5000),
  CANARY_TRACK: trackVariable,
  SERVICE_VERSION: patternVariable(SERVICE_VERSION_PATTERN, SERVICE_VERSION_RULE, '0.0.0-dev'),
  LOG_LEVEL: enumVariable(LOG_LEVELS, 'info'),
  METRICS_PORT: portVariable(9090),
  CANARY_HEADER_TRUSTED: booleanVariable(true),
  /** Faults on purpose (see faults.ts); refused where the key is untrusted. */
  CANARY_FAULTS: faultsVariable,
  /** Serve GET/PUT/DELETE /faults on the metrics port; refused where the key is untrusted. */
  CANARY_FAULTS_ADMIN: booleanVariable(false),
} satisfies EnvVariables;

export type CommonEnv = ConfigOf<typeof commonEnvVariables>;

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

/** The service and its metrics server cannot share a port (0, any free port, is two different ones). */
export function assertPortsDistinct(config: Pick<CommonEnv, 'PORT' | 'METRICS_PORT'>): void {
  if (config.PORT !== 0 && config.PORT === config.METRICS_PORT)
    throw new ConfigError(
      `invalid configuration: PORT and METRICS_PORT must differ (both are ${config.PORT}): the metrics server needs a port of its own`,
      ['PORT', 'METRICS_PORT'],
    );
}

/**
 * A service's config, from its own variables on top of `commonEnvVariables`: `configVariables` (what
 * manifests and checks read the variable names from) and `loadConfig(env)`, which parses once
 * (`parseEnv`) and refuses faults where the key is untrusted (`assertFaultsAllowed`). Own variables
 * may override a common one's default (e.g. `PORT`).
 */
export function defineServiceConfig<Own extends EnvVariables>(own: Own) {
  const configVariables: Omit<typeof commonEnvVariables, keyof Own> & Own = { ...commonEnvVariables, ...own };
  function loadConfig(env: Record<string, string | undefined>): ConfigOf<typeof configVariables> {
    const config = parseEnv(configVariables, env);
    assertFaultsAllowed(config as unknown as CommonEnv);
    assertPortsDistinct(config as unknown as CommonEnv);
    return config;
  }
  return { configVariables, loadConfig };
}

/**
 * Reads every variable of `variables` from the environment once. Empty strings count as unset (so
 * `FOO=` in an env file falls back to the default). Throws a ConfigError naming each bad variable
 * and why, never its value. The result is frozen.
 */
export function parseEnv<V extends EnvVariables>(
  variables: V,
  env: Record<string, string | undefined>,
): ConfigOf<V> {
  const config: Record<string, unknown> = {};
  const problems: { variable: string; why: string }[] = [];
  for (const [variable, reader] of Object.entries(variables)) {
    const text = env[variable];
    try {
      config[variable] = reader.read(text === '' ? undefined : text);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      problems.push({ variable, why: error.message });
    }
  }
  if (problems.length > 0)
    throw new ConfigError(
      `invalid configuration: ${problems.map((p) => `${p.variable}: ${p.why}`).join('; ')}`,
      problems.map((p) => p.variable),
    );
  return deepFreeze(config) as ConfigOf<V>;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
