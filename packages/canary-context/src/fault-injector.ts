/**
 * One instance's faults at run time: the spec it was started with (`CANARY_FAULTS`), changeable
 * through the admin endpoint, and the per-call decision the gRPC interceptor and the Fastify plugin
 * act on. Every injected fault is logged, counted and marked on the active span as injected, so
 * nobody mistakes it for a real failure.
 */
import { isGrpcServerFault } from '@pr-canary/contracts/grpc-faults';
import {
  type FaultSpec,
  FaultSpecError,
  formatFaultSpec,
  GRPC_FAULT_CODES,
  hasFaults,
  NO_FAULTS,
} from './faults';
import { activeSpan } from './otel-api';

export type FaultProtocol = 'grpc' | 'http';
export type FaultKind = 'error' | 'fail' | 'latency';

export interface FaultDecision {
  delayMs: number;
  /** Set when the call is to fail: the gRPC status name or HTTP status to answer with, and why. */
  error?: { code: string; kind: 'error' | 'fail' };
}

export interface FaultInjectorOptions {
  protocol: FaultProtocol;
  spec?: FaultSpec;
  /** The calls this instance serves (`/pkg.Service/Method` or `GET /route`), to refuse unknown fail= targets. */
  knownCalls?: () => readonly string[];
  /** Called for every injected fault (metrics). */
  onInjected?: (kind: FaultKind) => void;
  logger?: { warn(fields: object, message: string): void; info(fields: object, message: string): void };
  random?: () => number;
}

/** Span attribute set on a call that got a fault on purpose. */
export const FAULT_ATTRIBUTE = 'pr_canary.fault.injected';

export class FaultInjector {
  readonly protocol: FaultProtocol;
  #spec: FaultSpec = { ...NO_FAULTS, fail: [] };
  readonly #options: FaultInjectorOptions;
  readonly #random: () => number;
  #knownCalls: (() => readonly string[]) | undefined;

  constructor(options: FaultInjectorOptions) {
    this.protocol = options.protocol;
    this.#options = options;
    this.#knownCalls = options.knownCalls;
    this.#random = options.random ?? Math.random;
    if (options.spec) this.#spec = this.#validated(options.spec);
  }

  /** The faults in force. */
  get spec(): FaultSpec {
    return { ...this.#spec, fail: [...this.#spec.fail] };
  }

  /** Replaces the faults (validated for this protocol and this instance's calls); logs the change. */
  set(spec: FaultSpec): void {
    this.#spec = this.#validated(spec);
    this.#options.logger?.info(
      { faults: formatFaultSpec(this.#spec) },
      hasFaults(this.#spec) ? 'faults set' : 'faults cleared',
    );
  }

  /** Tells the injector which calls the instance serves (an app knows its routes only once they are registered). */
  knowCalls(calls: () => readonly string[]): void {
    this.#knownCalls = calls;
  }

  /** Checks the faults in force against the calls the instance serves (throws FaultSpecError). */
  validate(): void {
    this.#validated(this.#spec);
  }

  #validated(spec: FaultSpec): FaultSpec {
    if (spec.errorCode !== undefined) {
      const grpcCode = isGrpcServerFault(spec.errorCode);
      if (this.protocol === 'grpc' && !grpcCode)
        throw new FaultSpecError(
          `a gRPC service answers a gRPC status: error-code must be one of ${GRPC_FAULT_CODES.join(', ')}`,
        );
      if (this.protocol === 'http' && grpcCode)
        throw new FaultSpecError('an HTTP service answers an HTTP status: error-code must be 500-599');
    }
    const known = this.#knownCalls?.();
    if (known) {
      const unknown = spec.fail.filter((target) => !known.some((call) => targets(target, call)));
      if (unknown.length > 0)
        throw new FaultSpecError(
          `fail= names ${unknown.length === 1 ? 'a call' : `${unknown.length} calls`} this instance does not serve (it serves: ${known.join(', ')})`,
        );
    }
    return { ...spec, fail: [...spec.fail] };
  }

  /** What to do to one call (`/pkg.Service/Method` or `GET /route`); undefined for no fault. */
  decide(call: string): FaultDecision | undefined {
    const spec = this.#spec;
    if (!hasFaults(spec)) return undefined;
    const delayMs = spec.latencyMs > 0 && this.#random() < spec.latencyRate ? spec.latencyMs : 0;
    let kind: 'error' | 'fail' | undefined;
    if (spec.fail.some((target) => targets(target, call))) kind = 'fail';
    else if (spec.errorRate > 0 && this.#random() < spec.errorRate) kind = 'error';
    if (delayMs === 0 && kind === undefined) return undefined;
    const decision: FaultDecision = { delayMs };
    if (kind)
      decision.error = { code: spec.errorCode ?? (this.protocol === 'grpc' ? 'UNAVAILABLE' : '503'), kind };
    this.#report(call, decision);
    return decision;
  }

  #report(call: string, decision: FaultDecision): void {
    const kinds: FaultKind[] = [];
    if (decision.delayMs > 0) kinds.push('latency');
    if (decision.error) kinds.push(decision.error.kind);
    for (const kind of kinds) this.#options.onInjected?.(kind);
    activeSpan()?.setAttribute(FAULT_ATTRIBUTE, kinds.join(','));
    this.#options.logger?.warn(
      { fault: { injected: kinds, call, delayMs: decision.delayMs, code: decision.error?.code } },
      'injected fault',
    );
  }
}

/** The message an injected error carries, so a caller (and its logs) can tell it from a real one. */
export function injectedFaultMessage(decision: FaultDecision): string {
  return decision.error?.kind === 'fail' ? INJECTED_FAIL_MESSAGE : INJECTED_ERROR_RATE_MESSAGE;
}

const INJECTED_FAIL_MESSAGE = 'injected fault: this call is set to fail (CANARY_FAULTS fail=)';
const INJECTED_ERROR_RATE_MESSAGE = 'injected fault: error-rate (CANARY_FAULTS)';

/**
 * Whether a status message is exactly one an injected fault answers with: a caller may pass it on and
 * log it as the fault it is, not as its own failure. Fixed text, so nothing else from below passes.
 */
export function isInjectedFaultMessage(text: string): boolean {
  return text === INJECTED_FAIL_MESSAGE || text === INJECTED_ERROR_RATE_MESSAGE;
}

/** `GetItem`, `store.v1.ItemsService/GetItem` or `/store.v1.ItemsService/GetItem` target that call; `/api/items/:id` any method of that route. */
function targets(target: string, call: string): boolean {
  if (target === call) return true;
  if (call.startsWith('/')) {
    // gRPC: /package.Service/Method
    return call === `/${target}` || call.slice(call.lastIndexOf('/') + 1) === target;
  }
  const space = call.indexOf(' ');
  return space > 0 && call.slice(space + 1) === target;
}
