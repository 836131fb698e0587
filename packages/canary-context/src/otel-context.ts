import { type Context, context, ProxyTracerProvider, propagation, trace } from '@opentelemetry/api';
import { CANARY_BAGGAGE_KEY, type CanaryKey } from '@pr-canary/contracts/canary-key';

/** Probes and scrapes are not worth a trace each: HTTP instrumentation and @fastify/otel skip them. */
export const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/metrics', '/healthz', '/readyz']);

/** The OTel context `base` with baggage `canary` set to a valid key's PR, or removed otherwise. */
export function contextWithCanaryBaggage(key: CanaryKey, base: Context = context.active()): Context {
  const bag = propagation.getBaggage(base) ?? propagation.createBaggage();
  const next =
    key.kind === 'valid'
      ? bag.setEntry(CANARY_BAGGAGE_KEY, { value: key.pr })
      : bag.removeEntry(CANARY_BAGGAGE_KEY);
  return propagation.setBaggage(base, next);
}

/** Whether a real tracer provider is registered (the SDK was started), as opposed to the no-op one. */
export function isTracingActive(): boolean {
  const provider = trace.getTracerProvider();
  if (!(provider instanceof ProxyTracerProvider)) return true;
  return provider.getDelegate() !== new ProxyTracerProvider().getDelegate();
}

/**
 * Merges W3C `baggage` header values: drops every existing `canary` member and appends
 * `canary=<pr>` when a PR is given. Returns undefined when nothing is left.
 */
export function mergeCanaryBaggage(existing: readonly string[], pr: string | undefined): string | undefined {
  const members = existing
    .flatMap((value) => value.split(','))
    .map((member) => member.trim())
    .filter((member) => member.length > 0 && baggageMemberKey(member) !== CANARY_BAGGAGE_KEY);
  if (pr !== undefined) members.push(`${CANARY_BAGGAGE_KEY}=${pr}`);
  return members.length > 0 ? members.join(',') : undefined;
}

/** The raw values of every `canary` member in W3C `baggage` header values (properties stripped). */
export function canaryValuesFromBaggage(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(','))
    .filter((member) => baggageMemberKey(member) === CANARY_BAGGAGE_KEY)
    .map((member) => {
      const value = member.slice(member.indexOf('=') + 1);
      const semicolon = value.indexOf(';');
      return semicolon === -1 ? value : value.slice(0, semicolon);
    });
}

function baggageMemberKey(member: string): string {
  const eq = member.indexOf('=');
  return (eq === -1 ? member : member.slice(0, eq)).trim();
}
