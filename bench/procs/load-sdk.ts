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
import { runClosedLoop, serveLoadCommands } from '../lib/load-protocol';

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

serveLoadCommands(async (loadCommand) => {
  const sdkTarget = loadCommand.target as unknown as SdkTarget;
  const client = clientFor(sdkTarget);
  const command = () =>
    new GetCommand({
      TableName: sdkTarget.table,
      Key: { pk: 'ITEM', sk: sdkTarget.id },
      ConsistentRead: true,
    });
  return runClosedLoop(loadCommand, async () => Boolean((await client.send(command())).Item));
});
