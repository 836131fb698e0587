/**
 * A test-side gRPC hop between the api and real store servers: it records the metadata of every call
 * exactly as the api sent it, then forwards the raw bytes (metadata, messages, status, trailers)
 * to the backend that `route` picks — like the mesh does with an `x-canary` header match. Only the
 * methods the api uses are served: ItemsService (all) and grpc.health.v1.Health/Check.
 */
import * as grpc from '@grpc/grpc-js';
import { itemsServiceDefinition } from '@pr-canary/proto';
import { bindOnLoopback } from '@pr-canary/test-support/grpc';

export interface SeenCall {
  path: string;
  /** All values of `x-canary`, as strings. */
  canary: string[];
  /** All values of `baggage`. */
  baggage: string[];
  /** The serialized request message, as received. */
  request: Buffer;
}

export interface WireTap {
  port: number;
  addr: string;
  seen: SeenCall[];
  close(): Promise<void>;
}

export type Router = (metadata: grpc.Metadata) => string;

const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
const passthrough = (value: Buffer) => value;

function rawMethod(path: string, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: false,
    responseStream,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  };
}

function rawItemsService(): grpc.ServiceDefinition {
  const methods: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  for (const [name, method] of Object.entries(itemsServiceDefinition())) {
    methods[name] = rawMethod(method.path, method.responseStream);
  }
  return methods;
}

function strings(metadata: grpc.Metadata, key: string): string[] {
  return metadata.get(key).map((value) => value.toString());
}

function statusError(status: grpc.StatusObject): Partial<grpc.StatusObject> {
  return { code: status.code, details: status.details, metadata: status.metadata };
}

export async function startWireTap(route: Router): Promise<WireTap> {
  const seen: SeenCall[] = [];
  const clients = new Map<string, grpc.Client>();
  const clientFor = (addr: string) => {
    let client = clients.get(addr);
    if (!client) {
      client = new grpc.Client(addr, grpc.credentials.createInsecure());
      clients.set(addr, client);
    }
    return client;
  };
  const record = (path: string, metadata: grpc.Metadata, request: Buffer) =>
    seen.push({
      path,
      canary: strings(metadata, 'x-canary'),
      baggage: strings(metadata, 'baggage'),
      request,
    });
  type Call = grpc.ServerUnaryCall<Buffer, Buffer> | grpc.ServerWritableStream<Buffer, Buffer>;
  type Upstream = grpc.ClientUnaryCall | grpc.ClientReadableStream<Buffer>;
  /**
   * Records the call, then makes the same call (`open`) on the backend `route` picks, with the
   * caller's metadata and deadline: its metadata goes back at once, its status (with trailers) to
   * `finish`, and a cancelled call is cancelled upstream too.
   */
  const relay = <U extends Upstream>(
    path: string,
    call: Call,
    open: (client: grpc.Client, metadata: grpc.Metadata, options: grpc.CallOptions) => U,
    finish: (status: grpc.StatusObject) => void,
  ): U => {
    record(path, call.metadata, call.request);
    const upstream = open(clientFor(route(call.metadata)), call.metadata.clone(), {
      deadline: call.getDeadline(),
    });
    upstream.on('metadata', (metadata: grpc.Metadata) => call.sendMetadata(metadata));
    upstream.on('status', finish);
    call.on('cancelled', () => upstream.cancel());
    return upstream;
  };

  const forwardUnary =
    (path: string): grpc.handleUnaryCall<Buffer, Buffer> =>
    (call, callback) => {
      let response: Buffer | undefined;
      relay(
        path,
        call,
        (client, metadata, options) =>
          client.makeUnaryRequest(
            path,
            passthrough,
            passthrough,
            call.request,
            metadata,
            options,
            (_err, value) => {
              response = value;
            },
          ),
        (status) => {
          if (status.code === grpc.status.OK) callback(null, response, status.metadata);
          else callback(statusError(status));
        },
      );
    };

  const forwardServerStream =
    (path: string): grpc.handleServerStreamingCall<Buffer, Buffer> =>
    (call) => {
      const upstream = relay(
        path,
        call,
        (client, metadata, options) =>
          client.makeServerStreamRequest(path, passthrough, passthrough, call.request, metadata, options),
        (status) => {
          if (status.code === grpc.status.OK) call.end(status.metadata);
          else call.emit('error', statusError(status));
        },
      );
      upstream.on('data', (chunk: Buffer) => call.write(chunk));
      upstream.on('error', () => {
        // The status event carries the same outcome.
      });
    };

  const server = new grpc.Server();
  const items = rawItemsService();
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(items)) {
    handlers[name] = method.responseStream ? forwardServerStream(method.path) : forwardUnary(method.path);
  }
  server.addService(items, handlers);
  server.addService(
    { Check: rawMethod(HEALTH_CHECK_PATH, false) },
    { Check: forwardUnary(HEALTH_CHECK_PATH) },
  );

  const port = await bindOnLoopback(server);
  return {
    port,
    addr: `127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const client of clients.values()) client.close();
      server.forceShutdown();
    },
  };
}
