/**
 * Faults on purpose: what an instance is told to get wrong, written as a compact spec
 * (`error-rate=0.2,latency=100ms,fail=GetItem`) or as JSON (`{"errorRate":0.2}`). The one parser for
 * `CANARY_FAULTS`, the admin endpoint's body, `npm start -- --fault` and `pr-canary fault`. Pure, no
 * Node imports. Error messages never echo the input, only the names this module knows.
 */
import { PR_NUMBER_PATTERN } from '@pr-canary/contracts/canary-key';
import { GRPC_SERVER_FAULT_CODES, isGrpcServerFault } from '@pr-canary/contracts/grpc-faults';
import { SERVICE_NAME_SHAPE } from '@pr-canary/contracts/served-by';

export interface FaultSpec {
  /** Fraction of calls answered with an error (0 = none). */
  errorRate: number;
  /**
   * The error: a gRPC status name (store) or an HTTP status 500-599 (api). Unset: UNAVAILABLE / 503.
   */
  errorCode?: string;
  /** Delay added to a call, in ms (0 = none). */
  latencyMs: number;
  /** Fraction of calls that get the delay (1 = every call). */
  latencyRate: number;
  /** Calls that always fail: RPC method names (`GetItem`, `store.v1.ItemsService/GetItem`) or routes (`GET /api/items/:id`). */
  fail: string[];
}

export const NO_FAULTS: Readonly<FaultSpec> = Object.freeze({
  errorRate: 0,
  latencyMs: 0,
  latencyRate: 1,
  fail: [],
});

export const MAX_FAULT_LATENCY_MS = 30_000;
const MAX_FAIL_TARGETS = 16;
const MAX_SPEC_LENGTH = 2_000;

/**
 * gRPC codes a fault may answer with: the ones that are a server's fault, so every injected fault
 * counts as an error in the analysis (`@pr-canary/contracts/grpc-faults`).
 */
export const GRPC_FAULT_CODES = GRPC_SERVER_FAULT_CODES;

/** A method name, a fully qualified `package.Service/Method`, or a route with an optional HTTP method. */
const FAIL_TARGET = /^(?:(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) )?\/?[A-Za-z0-9_.:/*-]{1,200}$/;
const KEYS = ['error-rate', 'error-code', 'latency', 'latency-rate', 'fail'] as const;
type Key = (typeof KEYS)[number];

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/** Reads a spec: JSON when it starts with `{`, else the compact form. Empty or `none` means no faults. */
export function parseFaultSpec(text: string): FaultSpec {
  if (typeof text !== 'string') throw new FaultSpecError('a fault spec must be text');
  if (text.length > MAX_SPEC_LENGTH)
    throw new FaultSpecError(`a fault spec may be at most ${MAX_SPEC_LENGTH} characters`);
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return { ...NO_FAULTS, fail: [] };
  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new FaultSpecError('the fault spec starts with "{" but is not valid JSON');
    }
    return faultSpecFromJson(value);
  }
  return parseCompact(trimmed);
}

function parseCompact(text: string): FaultSpec {
  const spec: FaultSpec = { ...NO_FAULTS, fail: [] };
  const seen = new Set<Key>();
  for (const entry of text.split(',')) {
    const part = entry.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FaultSpecError(`every fault is key=value (keys: ${KEYS.join(', ')})`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!isKey(key)) throw new FaultSpecError(`unknown fault ${quoted(key)} (known: ${KEYS.join(', ')})`);
    if (key !== 'fail' && seen.has(key)) throw new FaultSpecError(`${key} is given twice`);
    seen.add(key);
    switch (key) {
      case 'error-rate':
        spec.errorRate = fraction(value, key);
        break;
      case 'latency-rate':
        spec.latencyRate = fraction(value, key);
        break;
      case 'latency':
        spec.latencyMs = duration(value);
        break;
      case 'error-code':
        spec.errorCode = errorCode(value);
        break;
      case 'fail':
        spec.fail.push(failTarget(value));
        break;
    }
  }
  return checked(spec);
}

/** The JSON form: `{errorRate?, errorCode?, latencyMs?, latencyRate?, fail?}`, nothing else. */
export function faultSpecFromJson(value: unknown): FaultSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FaultSpecError('a JSON fault spec must be an object such as {"errorRate": 0.2}');
  const known = ['errorRate', 'errorCode', 'latencyMs', 'latencyRate', 'fail'];
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw new FaultSpecError(`unknown field(s) in the fault spec (known: ${known.join(', ')})`);
  const v = value as Record<string, unknown>;
  const number = (field: string, fallback: number) => {
    const x = v[field];
    if (x === undefined) return fallback;
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new FaultSpecError(`${field} must be a number`);
    return x;
  };
  const spec: FaultSpec = {
    errorRate: number('errorRate', 0),
    latencyMs: number('latencyMs', 0),
    latencyRate: number('latencyRate', 1),
    fail: [],
  };
  if (v.errorCode !== undefined) {
    if (typeof v.errorCode !== 'string' && typeof v.errorCode !== 'number')
      throw new FaultSpecError('errorCode must be a gRPC status name or an HTTP status');
    spec.errorCode = errorCode(String(v.errorCode));
  }
  if (v.fail !== undefined) {
    if (!Array.isArray(v.fail) || v.fail.some((x) => typeof x !== 'string'))
      throw new FaultSpecError('fail must be a list of RPC names or routes');
    spec.fail = (v.fail as string[]).map(failTarget);
  }
  return checked(spec);
}

function checked(spec: FaultSpec): FaultSpec {
  if (!(spec.errorRate >= 0 && spec.errorRate <= 1))
    throw new FaultSpecError('error-rate must be between 0 and 1');
  if (!(spec.latencyRate >= 0 && spec.latencyRate <= 1))
    throw new FaultSpecError('latency-rate must be between 0 and 1');
  if (spec.errorCode !== undefined && spec.errorRate === 0 && spec.fail.length === 0)
    throw new FaultSpecError(
      'error-code says what error-rate or fail= answer with: give one of them too, e.g. error-rate=0.2,error-code=INTERNAL',
    );
  if (spec.latencyRate !== 1 && spec.latencyMs === 0)
    throw new FaultSpecError('latency-rate needs a latency to add, e.g. latency=100ms,latency-rate=0.5');
  if (!(Number.isInteger(spec.latencyMs) && spec.latencyMs >= 0 && spec.latencyMs <= MAX_FAULT_LATENCY_MS))
    throw new FaultSpecError(`latency must be a whole number of ms from 0 to ${MAX_FAULT_LATENCY_MS}`);
  if (spec.fail.length > MAX_FAIL_TARGETS)
    throw new FaultSpecError(`at most ${MAX_FAIL_TARGETS} fail= targets`);
  spec.fail = [...new Set(spec.fail)];
  return spec;
}

function isKey(key: string): key is Key {
  return (KEYS as readonly string[]).includes(key);
}

/** A key is echoed only when it looks like one (a typo such as `eror-rate`), never arbitrary input. */
function quoted(key: string): string {
  return /^[a-z][a-z-]{0,19}$/.test(key) ? `"${key}"` : '(unreadable)';
}

function fraction(value: string, key: string): number {
  const percent = /^(\d{1,3}(?:\.\d+)?)%$/.exec(value);
  const number = percent ? Number(percent[1]) / 100 : /^\d*\.?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= 0 && number <= 1))
    throw new FaultSpecError(`${key} must be a fraction from 0 to 1, or a percentage such as 20%`);
  return number;
}

function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(value);
  if (!match) throw new FaultSpecError('latency must be a duration such as 100ms or 1.5s');
  const ms = Number(match[1]) * (match[2] === 's' ? 1000 : 1);
  if (!(Number.isInteger(ms) && ms <= MAX_FAULT_LATENCY_MS))
    throw new FaultSpecError(`latency must be a whole number of ms from 0 to ${MAX_FAULT_LATENCY_MS}`);
  return ms;
}

function errorCode(value: string): string {
  if (isGrpcServerFault(value)) return value;
  if (/^5\d\d$/.test(value)) return value;
  throw new FaultSpecError(
    `error-code must be an HTTP status 500-599 or one of ${GRPC_FAULT_CODES.join(', ')}`,
  );
}

function failTarget(value: string): string {
  if (!FAIL_TARGET.test(value))
    throw new FaultSpecError(
      'fail= takes an RPC name (GetItem, store.v1.ItemsService/GetItem) or a route (GET /api/items/:id)',
    );
  return value;
}

export function hasFaults(spec: FaultSpec): boolean {
  return spec.errorRate > 0 || (spec.latencyMs > 0 && spec.latencyRate > 0) || spec.fail.length > 0;
}

/** The canonical compact form (what `parseFaultSpec` reads back to the same spec); `none` when off. */
export function formatFaultSpec(spec: FaultSpec): string {
  const parts: string[] = [];
  if (spec.errorRate > 0) parts.push(`error-rate=${spec.errorRate}`);
  if (spec.errorCode !== undefined) parts.push(`error-code=${spec.errorCode}`);
  if (spec.latencyMs > 0) parts.push(`latency=${spec.latencyMs}ms`);
  if (spec.latencyMs > 0 && spec.latencyRate !== 1) parts.push(`latency-rate=${spec.latencyRate}`);
  for (const target of spec.fail) parts.push(`fail=${target}`);
  return parts.length === 0 ? 'none' : parts.join(',');
}

/** Where a fault goes in a stack: `42:store:error-rate=0.2` or `stable:api-service:latency=50ms`. */
export interface FaultTarget {
  /** `stable` or `pr-<N>`. */
  track: string;
  /** The service's short name as written (`api`, `store`) or its full name; the caller resolves it. */
  service: string;
  spec: FaultSpec;
}

/** Reads `<PR number | stable>:<service>:<spec>` (the spec may itself contain colons, e.g. in a route). */
export function parseFaultTarget(text: string): FaultTarget {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (first < 0 || second < 0)
    throw new FaultSpecError(
      'a fault is <PR number or stable>:<service>:<spec>, e.g. 42:store:error-rate=0.2',
    );
  const who = text.slice(0, first);
  const service = text.slice(first + 1, second);
  let track: string;
  if (who === 'stable') track = 'stable';
  else if (PR_NUMBER_PATTERN.test(who)) track = `pr-${who}`;
  else throw new FaultSpecError('a fault names a PR number (1-999999999) or stable before the first ":"');
  if (!SERVICE_NAME_SHAPE.test(service))
    throw new FaultSpecError('a fault names a service such as store or api-service');
  const spec = text.slice(second + 1);
  if (spec.trim() === '')
    throw new FaultSpecError(
      'a fault gives its spec after the second ":" (none clears the faults), e.g. 42:store:none',
    );
  return { track, service, spec: parseFaultSpec(spec) };
}
