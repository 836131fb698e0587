import {
  type Context,
  context,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import type { W3CBaggagePropagator } from '@opentelemetry/core';
import { CANARY_BAGGAGE_KEY, type CanaryKey } from '@pr-canary/contracts/canary-key';

/** Probes and scrapes are not worth a trace each: the Fastify plugin makes no span for them. */
export const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/metrics', '/healthz', '/readyz']);

/** The OTel context `base` with baggage `canary` set to a valid key's PR, or removed otherwise. */
export function contextWithCanaryBaggage(key: CanaryKey, base: Context = context.active()): Context {
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

/** Whether a real tracer provider is registered (the SDK was started), as opposed to the no-op one. */
export function isTracingActive(): boolean {
  const provider = trace.getTracerProvider();
  if (!(provider instanceof ProxyTracerProvider)) return true;
  return provider.getDelegate() !== new ProxyTracerProvider().getDelegate();
}

/** The W3C baggage header (and gRPC metadata key). */
const BAGGAGE = 'baggage';

let propagator: W3CBaggagePropagator | undefined;

/**
 * OTel's own W3C baggage codec (parsing, percent-encoding, properties, the spec's size limits), with
 * its package loaded on the first baggage actually read or written: a call carrying no baggage and
 * no key to send never needs it, so a service with tracing off does not load @opentelemetry/core
 * (and its semantic conventions) at start — ~0.1 s of start-up CPU and ~2 MB.
 */
function baggagePropagator(): W3CBaggagePropagator {
  propagator ??= new (
    require('@opentelemetry/core') as typeof import('@opentelemetry/core')
  ).W3CBaggagePropagator();
  return propagator;
}

/** The value of the `canary` member of the W3C baggage in `carrier`, as OTel's propagator reads it. */
export function canaryFromBaggage<Carrier>(
  carrier: Carrier,
  getter: TextMapGetter<Carrier>,
): string | undefined {
  if (getter.get(carrier, BAGGAGE) === undefined) return undefined;
  const baggage = propagation.getBaggage(baggagePropagator().extract(ROOT_CONTEXT, carrier, getter));
  return baggage?.getEntry(CANARY_BAGGAGE_KEY)?.value;
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
  const received = baggagePropagator().extract(ROOT_CONTEXT, carrier, getter);
  clear(carrier);
  baggagePropagator().inject(contextWithCanaryBaggage(key, received), carrier, setter);
}
