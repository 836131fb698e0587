/** __service_name__'s gRPC contract (proto/__proto_pkg__/v1/__proto_pkg__.proto), loaded once, typed. */
import { loadProto } from '@pr-canary/proto';
import type { ProtoGrpcType } from '@pr-canary/proto/generated/__proto_pkg__';

export type { __Pascal__ServiceHandlers } from '@pr-canary/proto/generated/__proto_pkg__/v1/__Pascal__Service';

/** Fully-qualified service name, as in gRPC paths, health checks and the registry's `grpcService`. */
export const GRPC_SERVICE_NAME = '__proto_pkg__.v1.__Pascal__Service';
const PROTO_FILE = '__proto_pkg__/v1/__proto_pkg__.proto';

/** The package object: `.service` to serve it, the constructor to call it. */
export function __short_camel__Contract() {
  return loadProto<ProtoGrpcType>(PROTO_FILE).__proto_pkg__.v1.__Pascal__Service;
}
