/**
 * The dev router (localdev's HTTP edge and gRPC mesh) in front of one api and one store, both stable.
 * Env: API_PORT, STORE_PORT. Prints `listening` with both router ports.
 */
import { LiveRoutes, startGrpcRouter, startHttpRouter } from '@pr-canary/localdev';

const routes = new LiveRoutes();
routes.add('api-service', 'stable', { host: '127.0.0.1', port: Number(process.env.API_PORT) });
routes.add('store-service', 'stable', { host: '127.0.0.1', port: Number(process.env.STORE_PORT) });
Promise.all([startHttpRouter({ routes, port: 0 }), startGrpcRouter({ routes, port: 0 })]).then(
  ([http, grpc]) => {
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port: http.port, grpcPort: grpc.port })}\n`);
  },
);
