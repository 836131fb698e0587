import * as grpc from '@grpc/grpc-js';

/** Binds a test's gRPC server to 127.0.0.1 and a free port (plaintext) and resolves with the port. */
export function bindOnLoopback(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
}
