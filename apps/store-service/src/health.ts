import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ITEMS_SERVICE_NAME } from '@pr-canary/proto';

/**
 * grpc.health.v1.Health (Check and Watch) from the standard proto, kept in this package's proto/
 * folder. The status of each service name lives in a HealthRegistry; main flips everything to
 * NOT_SERVING at the start of shutdown, and Watch streams every change.
 */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';
type WatchStatus = ServingStatus | 'SERVICE_UNKNOWN';

/** Service names reported: "" is the whole server. */
export const HEALTH_SERVICE_NAMES = ['', ITEMS_SERVICE_NAME] as const;

const HEALTH_PROTO_ROOT = path.resolve(__dirname, '..', 'proto');
const HEALTH_PROTO_FILE = 'grpc/health/v1/health.proto';

export interface HealthRequest {
  service: string;
}
export interface HealthResponse {
  status: WatchStatus;
}
interface HealthPackage {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
}

let loaded: HealthPackage | undefined;

function loadHealthProto(): HealthPackage {
  loaded ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(HEALTH_PROTO_FILE, {
      enums: String,
      defaults: true,
      includeDirs: [HEALTH_PROTO_ROOT],
    }),
  ) as unknown as HealthPackage;
  return loaded;
}

/** A grpc.health.v1.Health client, typed for the two methods served here. */
export interface HealthClient extends grpc.Client {
  check(
    request: HealthRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<HealthResponse>,
  ): grpc.ClientUnaryCall;
  watch(
    request: HealthRequest,
    metadata?: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<HealthResponse>;
}

/** The client constructor for grpc.health.v1.Health (for callers and tests). */
export function healthClientConstructor(): new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => HealthClient {
  return loadHealthProto().grpc.health.v1.Health as unknown as new (
    address: string,
    credentials: grpc.ChannelCredentials,
  ) => HealthClient;
}

/** The service definition, for `server.addService`. */
function healthServiceDefinition(): grpc.ServiceDefinition {
  return loadHealthProto().grpc.health.v1.Health.service;
}

export interface HealthRegistry {
  status(service: string): ServingStatus | undefined;
  set(service: string, status: ServingStatus): void;
  /** Sets every known service name at once (e.g. NOT_SERVING when shutdown starts). */
  setAll(status: ServingStatus): void;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (service: string, status: ServingStatus) => void): () => void;
}

/** A registry with every name in HEALTH_SERVICE_NAMES SERVING. */
export function createHealthRegistry(): HealthRegistry {
  const statuses = new Map<string, ServingStatus>(HEALTH_SERVICE_NAMES.map((name) => [name, 'SERVING']));
  const listeners = new Set<(service: string, status: ServingStatus) => void>();
  const set = (service: string, status: ServingStatus) => {
    if (statuses.get(service) === status) {
      return;
    }
    statuses.set(service, status);
    for (const listener of listeners) {
      listener(service, status);
    }
  };
  return {
    status: (service) => statuses.get(service),
    set,
    setAll: (status) => {
      for (const service of statuses.keys()) {
        set(service, status);
      }
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Adds grpc.health.v1.Health, answering from `registry`, to `server`. */
export function addHealthService(server: grpc.Server, registry: HealthRegistry): void {
  const check: grpc.handleUnaryCall<HealthRequest, HealthResponse> = (call, callback) => {
    const status = registry.status(call.request.service);
    if (status === undefined) {
      return callback({ code: grpc.status.NOT_FOUND, details: 'unknown service name' });
    }
    return callback(null, { status });
  };
  const watch: grpc.handleServerStreamingCall<HealthRequest, HealthResponse> = (call) => {
    const service = call.request.service;
    call.write({ status: registry.status(service) ?? 'SERVICE_UNKNOWN' });
    const unsubscribe = registry.subscribe((changed, status) => {
      if (changed === service) {
        call.write({ status });
      }
    });
    call.once('cancelled', unsubscribe);
  };
  server.addService(healthServiceDefinition(), { Check: check, Watch: watch });
}
