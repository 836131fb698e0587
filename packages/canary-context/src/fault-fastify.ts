import type { FastifyPluginAsync } from 'fastify';
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
 * (`code: INJECTED_FAULT`). Register it after `canaryFastifyPlugin`, so the response still carries
 * X-Served-By and is counted under its route. `fail=` targets are checked against the app's routes
 * once they all exist (ready).
 */
const faultPlugin: FastifyPluginAsync<FaultPluginOptions> = async (app, opts) => {
  const routes: string[] = [];
  app.decorate('faults', opts.faults);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      if (method !== 'HEAD' && !UNTRACED_PATHS.has(route.url)) routes.push(`${method} ${route.url}`);
  });
  app.addHook('onReady', async () => {
    opts.faults.validate();
  });
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || request.is404 || UNTRACED_PATHS.has(route)) return;
    const decision = opts.faults.decide(`${request.method} ${route}`);
    if (!decision) return;
    if (decision.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
    if (!decision.error) return;
    const statusCode = Number(decision.error.code);
    return reply.code(statusCode).send({
      statusCode,
      error: 'Injected Fault',
      code: 'INJECTED_FAULT',
      message: injectedFaultMessage(decision),
    });
  });
  opts.faults.knowCalls(() => routes);
};

export const faultFastifyPlugin = fp(faultPlugin, {
  fastify: '5.x',
  name: '@pr-canary/canary-context/faults',
});
