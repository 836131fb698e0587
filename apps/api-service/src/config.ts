/**
 * api-service configuration: parsed once from the environment, validated, frozen. The only module
 * that knows the variable names (manifests and Dockerfile checks import `configVariables` for them).
 */
import {
  type ConfigOf,
  defineServiceConfig,
  envVariable,
  InvalidValue,
  millisecondsVariable,
} from '@pr-canary/service-kit';

const HOST_PORT =
  /^(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(?<port>[0-9]{1,5})$/;
/** `scheme://authority` and nothing else: no path, query, fragment, credentials or wildcard. */
const ORIGIN_SHAPE = /^https?:\/\/[^/?#@*\s]+$/i;

/** A deadline: at least 1 ms (a zero deadline would fail every call before it starts). */
function deadlineVariable(defaultMs: number) {
  return millisecondsVariable(defaultMs, 1);
}

function isValidPort(value: string): boolean {
  const n = Number(value);
  return n >= 1 && n <= 65_535;
}

/** `host:port` of a gRPC server (DNS name, IPv4, or bracketed IPv6); no scheme, no path. */
const storeAddr = envVariable((text) => {
  const value = text.trim();
  const match = HOST_PORT.exec(value);
  if (match?.groups?.port === undefined || !isValidPort(match.groups.port))
    throw new InvalidValue('must be host:port, e.g. store-service:80');
  return value;
});

/** The browser's serialisation of `value` (lowercased host, default port dropped), or undefined. */
function normaliseOrigin(value: string): string | undefined {
  if (!ORIGIN_SHAPE.test(value) || !URL.canParse(value)) return undefined;
  return new URL(value).origin;
}

/**
 * Comma-separated list of exact browser origins (`scheme://host[:port]`). A wildcard is refused on
 * purpose: a canary header must only be sent from origins someone chose.
 */
const corsOrigins = envVariable(
  (text): readonly string[] => {
    const entries = text
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0);
    const origins: string[] = [];
    for (const [index, entry] of entries.entries()) {
      const origin = normaliseOrigin(entry);
      if (origin === undefined)
        throw new InvalidValue(
          `entry ${index + 1} must be an origin like https://app.example.com (scheme://host[:port], no path, no *)`,
        );
      origins.push(origin);
    }
    return Object.freeze([...new Set(origins)]);
  },
  Object.freeze([]) as readonly string[],
);

/** The api's own variables; service-kit's `commonEnvVariables` adds those every service reads. */
export const { configVariables, loadConfig } = defineServiceConfig({
  STORE_ADDR: storeAddr,
  STORE_DEADLINE_MS: deadlineVariable(2000),
  READINESS_DEADLINE_MS: deadlineVariable(500),
  /** How long one request (headers and body) may take to arrive; Node answers 408 after it. */
  REQUEST_TIMEOUT_MS: deadlineVariable(30_000),
  CORS_ALLOWED_ORIGINS: corsOrigins,
});

export type ApiConfig = ConfigOf<typeof configVariables>;
