import type { Context, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import type { W3CBaggagePropagator } from '@opentelemetry/core';
import { CANARY_BAGGAGE_KEY, type CanaryKey } from '@pr-canary/contracts/canary-key';
import { otelApi } from './otel-api';

/** Probes and scrapes are not worth a trace each: the Fastify plugin makes no span for them. */
export const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/metrics', '/healthz', '/readyz']);

/**
 * gRPC services whose calls are a span only as part of a caller's traced request (a traceparent in
 * the metadata): the standard health service, which kubelet's gRPC probe and the api's readiness check
 * call every few seconds. The api's `/api/route` asks it too, and that call stays in its trace.
 */
export const PROBE_GRPC_SERVICES: ReadonlySet<string> = new Set(['grpc.health.v1.Health']);

/** The OTel context `base` with baggage `canary` set to a valid key's PR, or removed otherwise. */
export function contextWithCanaryBaggage(
  key: CanaryKey,
  base: Context = otelApi().context.active(),
): Context {
  const { propagation } = otelApi();
  const bag = propagation.getBaggage(base);
  // Most requests carry no key and no baggage: then `base` already says it (a context and a baggage
  // fewer per request and per call, each a Map copy).
  if (key.kind === 'valid') {
    const entry = bag?.getEntry(CANARY_BAGGAGE_KEY);
    // Exactly the validated value: properties a sender attached are not passed on.
    if (entry?.value === key.pr && entry.metadata === undefined) return base;
    return propagation.setBaggage(
      base,
      (bag ?? propagation.createBaggage()).setEntry(CANARY_BAGGAGE_KEY, { value: key.pr }),
    );
  }
  if (bag?.getEntry(CANARY_BAGGAGE_KEY) === undefined) return base;
  return propagation.setBaggage(base, bag.removeEntry(CANARY_BAGGAGE_KEY));
}

/** The W3C baggage header (and gRPC metadata key). */
const BAGGAGE = 'baggage';

let core: typeof import('@opentelemetry/core') | undefined;
let propagator: W3CBaggagePropagator | undefined;

/**
 * OTel's own W3C baggage codec (parsing, percent-encoding, properties, the spec's size limits), with
 * its package loaded on the first baggage actually read or written: a call carrying no baggage and
 * no key to send never needs it, so a service with tracing off does not load @opentelemetry/core
 * (and its semantic conventions) at start — ~0.1 s of start-up CPU and ~2 MB.
 */
function otelCore(): typeof import('@opentelemetry/core') {
  core ??= require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  return core;
}

function baggagePropagator(): W3CBaggagePropagator {
  propagator ??= new (otelCore().W3CBaggagePropagator)();
  return propagator;
}

/**
 * The values of every `canary` member of the W3C baggage in `carrier`, in order, as OTel's propagator
 * decodes them (none: no member). OTel keeps only the last of several members with one key; a key
 * sent twice must not be settled by order, so the caller validates them all, as it does several
 * `x-canary` values (equal ones are one key, differing ones are refused).
 */
export function canaryFromBaggage<Carrier>(carrier: Carrier, getter: TextMapGetter<Carrier>): string[] {
  const header = getter.get(carrier, BAGGAGE);
  if (header === undefined) return [];
  const { propagation, ROOT_CONTEXT } = otelApi();
  const baggage = propagation.getBaggage(baggagePropagator().extract(ROOT_CONTEXT, carrier, getter));
  if (baggage?.getEntry(CANARY_BAGGAGE_KEY) === undefined) return [];
  const values: string[] = [];
  // The propagator's own member reader, one list member at a time (its limits were applied above).
  for (const member of (Array.isArray(header) ? header : [header]).join(',').split(',')) {
    const value = otelCore().parseKeyPairsIntoRecord(member)[CANARY_BAGGAGE_KEY];
    if (value !== undefined) values.push(value);
  }
  return values;
}

export interface BaggageCarrier<Carrier> {
  getter: TextMapGetter<Carrier>;
  setter: TextMapSetter<Carrier>;
  /** Removes every `baggage` value from the carrier. */
  clear(carrier: Carrier): void;
}

/**
 * Makes the W3C baggage in `carrier` say exactly `key` in its `canary` member (removed unless the key
 * is valid), keeping every other member: read and written by OTel's propagator, so the result is the
 * baggage OTel would send for the same context. No baggage is left when nothing remains.
 */
export function rewriteCanaryBaggage<Carrier>(
  carrier: Carrier,
  key: CanaryKey,
  { getter, setter, clear }: BaggageCarrier<Carrier>,
): void {
  // Nothing received and nothing to send: the carrier already says exactly that.
  if (key.kind !== 'valid' && getter.get(carrier, BAGGAGE) === undefined) return;
  const received = baggagePropagator().extract(otelApi().ROOT_CONTEXT, carrier, getter);
  clear(carrier);
  baggagePropagator().inject(contextWithCanaryBaggage(key, received), carrier, setter);
}
