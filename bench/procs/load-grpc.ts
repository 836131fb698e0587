/**
 * gRPC load generator (grpc-js, one channel like the api's): `concurrency` loops of unary calls.
 * Target: {addr, call: 'health' | 'get', id?, canary?}.
 */
import * as grpc from '@grpc/grpc-js';
import { CANARY_HEADER } from '@pr-canary/contracts/canary-key';
import { healthClientConstructor, ITEMS_SERVICE_NAME, itemsServiceClientConstructor } from '@pr-canary/proto';
import { runClosedLoop, serveLoadCommands } from '../lib/load-protocol';

interface GrpcTarget {
  addr: string;
  call: 'health' | 'get';
  id?: string;
  canary?: string;
}

const ItemsClient = itemsServiceClientConstructor();
const HealthClient = healthClientConstructor();
const channels = new Map<
  string,
  { items: InstanceType<typeof ItemsClient>; health: InstanceType<typeof HealthClient> }
>();

function clientsFor(addr: string) {
  let clients = channels.get(addr);
  if (!clients) {
    const items = new ItemsClient(addr, grpc.credentials.createInsecure());
    const health = new HealthClient(addr, grpc.credentials.createInsecure(), {
      channelOverride: items.getChannel(),
    });
    clients = { items, health };
    channels.set(addr, clients);
  }
  return clients;
}

serveLoadCommands(async (command) => {
  const { addr, call, id = '', canary } = command.target as unknown as GrpcTarget;
  const { items, health } = clientsFor(addr);
  const metadata = new grpc.Metadata();
  if (canary) metadata.set(CANARY_HEADER, canary);
  const once = (): Promise<boolean> =>
    new Promise((resolve) => {
      const options = { deadline: Date.now() + 5_000 };
      if (call === 'health')
        health.Check({ service: ITEMS_SERVICE_NAME }, metadata, options, (error) => resolve(!error));
      else items.GetItem({ id }, metadata, options, (error) => resolve(!error));
    });
  return runClosedLoop(command, once);
});
