/**
 * The bare SDK path: `concurrency` loops of GetItem through the AWS SDK against dynalite.
 * Target: {endpoint, table, id, client: 'sdk-defaults' | 'store'}:
 * - `sdk-defaults`: DynamoDBDocumentClient over a DynamoDBClient with nothing but region, endpoint and
 *   static credentials — the SDK out of the box.
 * - `store`: the client store-service builds (apps/store-service/src/dynamodb-client.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '@pr-canary/store-service';
import { LatencySample, serveLoadCommands } from '../lib/load-protocol';

interface SdkTarget {
  endpoint: string;
  table: string;
  id: string;
  client: 'sdk-defaults' | 'store';
}

const REGION = 'us-east-1';
const clients = new Map<string, DynamoDBDocumentClient>();

function clientFor(target: SdkTarget): DynamoDBDocumentClient {
  let client = clients.get(target.client);
  if (!client) {
    client =
      target.client === 'store'
        ? createDocumentClient({ region: REGION, endpoint: target.endpoint })
        : DynamoDBDocumentClient.from(
            new DynamoDBClient({
              region: REGION,
              endpoint: target.endpoint,
              credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
            }),
          );
    clients.set(target.client, client);
  }
  return client;
}

serveLoadCommands(async ({ durationMs, concurrency, target }) => {
  const sdkTarget = target as unknown as SdkTarget;
  const client = clientFor(sdkTarget);
  const command = () =>
    new GetCommand({
      TableName: sdkTarget.table,
      Key: { pk: 'ITEM', sk: sdkTarget.id },
      ConsistentRead: true,
    });
  const latencies = new LatencySample();
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const stopAt = started + durationMs;
  const loop = async () => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      try {
        const out = await client.send(command());
        if (!out.Item) throw new Error('item missing');
        ok++;
        latencies.add(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { requests: ok, errors, seconds: (performance.now() - started) / 1000, ...latencies.percentiles() };
});
