/**
 * The dev router (localdev's HTTP edge and gRPC mesh) in front of one api and one store, both stable.
 * Env: API_PORT, STORE_PORT. Prints `listening` with both router ports.
 */
import { LiveRoutes, startGrpcRouter, startHttpRouter } from '@pr-canary/localdev';

const routes = new LiveRoutes();
for (const [service, port] of [
  ['api-service', process.env.API_PORT],
  ['store-service', process.env.STORE_PORT],
] as const) {
  routes.declare(service, 'stable');
  routes.update(service, 'stable', {
    state: 'running',
    address: { host: '127.0.0.1', port: Number(port) },
    restarts: 0,
  });
}
Promise.all([startHttpRouter({ routes, port: 0 }), startGrpcRouter({ routes, port: 0 })]).then(
  ([http, grpc]) => {
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port: http.port, grpcPort: grpc.port })}\n`);
  },
);

// A normal exit on SIGTERM, so a --cpu-prof profile gets written.
process.once('SIGTERM', () => process.exit(0));
