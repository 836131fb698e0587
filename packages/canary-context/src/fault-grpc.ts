import * as grpc from '@grpc/grpc-js';
import { type FaultInjector, injectedFaultMessage } from './fault-injector';

/** grpc.health.v1 is what readiness and the mesh probe: a fault there would restart the instance, not test it. */
const EXEMPT_PREFIX = '/grpc.health.v1.Health/';

/**
 * Server interceptor that acts on the instance's faults: holds a call for the added latency, then
 * lets it through or answers it with the fault's status (the handler never runs). List it *after*
 * `canaryServerInterceptor`, so the canary scope, served-by trailers and RPC metrics see the
 * injected status like any other.
 */
export function faultServerInterceptor(injector: FaultInjector): grpc.ServerInterceptor {
  return (methodDescriptor, call) => {
    if (methodDescriptor.path.startsWith(EXEMPT_PREFIX)) return new grpc.ServerInterceptingCall(call);
    let timer: NodeJS.Timeout | undefined;
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveHalfClose(nextHalfClose) {
            const decision = injector.decide(methodDescriptor.path);
            if (!decision) return nextHalfClose();
            const act = () => {
              timer = undefined;
              if (!decision.error) return nextHalfClose();
              intercepting.sendStatus({
                code: grpc.status[decision.error.code as keyof typeof grpc.status] as grpc.status,
                details: injectedFaultMessage(decision),
                metadata: new grpc.Metadata(),
              });
            };
            if (decision.delayMs > 0) timer = setTimeout(act, decision.delayMs);
            else act();
          },
          onCancel() {
            if (timer) clearTimeout(timer);
          },
        });
      },
    });
    return intercepting;
  };
}
