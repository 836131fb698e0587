import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { type FaultInjector, injectedFaultMessage } from './fault-injector';
import { UNTRACED_PATHS } from './otel-context';

declare module 'fastify' {
  interface FastifyInstance {
    /** The instance's faults (see fault-injector.ts); its admin endpoint changes them. */
    faults: FaultInjector;
  }
}

export interface FaultPluginOptions {
  faults: FaultInjector;
}

/**
 * Acts on the instance's faults for every routed request but the probes: holds it for the added
 * latency, then lets it through or answers it with the fault's status and the api's error shape
 * (`code: INJECTED_FAULT`). Register it after `canaryFastifyPlugin` (so the response still carries
 * X-Served-By and is counted under its route) and before the routes: each route registered after it
 * gets its own `onRequest` hook, which knows its call (`GET /api/items/:id`) from the start, and a
 * request without a fault (every request while none is set) costs that hook one check. `fail=`
 * targets are checked against the app's routes once they all exist (ready).
 *
 * Register it only where faults can be wanted (`CANARY_FAULTS` set or the admin endpoint on): an app
 * without it pays nothing per request.
 */
const faultPlugin: FastifyPluginAsync<FaultPluginOptions> = async (app, opts) => {
  const routes: string[] = [];
  const { faults } = opts;
  app.decorate('faults', faults);
  app.addHook('onRoute', (route) => {
    if (UNTRACED_PATHS.has(route.url)) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // HEAD routes are Fastify's own copies of GET routes: faulted, but not listed as calls.
    for (const method of methods) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
    const calls = new Map(methods.map((method) => [method, `${method} ${route.url}`]));
    const hook: onRequestHookHandler = (request, reply, done) => {
      const call = calls.get(request.method);
      const decision = call === undefined ? undefined : faults.decide(call);
      if (!decision) return done();
      const act = () => {
        if (!decision.error) return done();
        const statusCode = Number(decision.error.code);
        reply.code(statusCode).send({
          statusCode,
          error: 'Injected Fault',
          code: 'INJECTED_FAULT',
          message: injectedFaultMessage(decision),
        });
      };
      if (decision.delayMs > 0) setTimeout(act, decision.delayMs);
      else act();
    };
    // The route's own hooks run after the app's (the canary scope is already set up).
    route.onRequest = [hook, ...hooksOf(route.onRequest)];
  });
  app.addHook('onReady', async () => {
    faults.validate();
  });
  faults.knowCalls(() => routes);
};

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

export const faultFastifyPlugin = fp(faultPlugin, {
  fastify: '5.x',
  name: '@pr-canary/canary-context/faults',
});
