import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isTracingActive, withClientSpan } from '@pr-canary/canary-context';

export interface DynamoClientOptions {
  region: string;
  /** e.g. http://127.0.0.1:4567 for dynalite; unset for AWS. */
  endpoint?: string;
  /** SDK attempts per request, retries included (SDK default 3). */
  maxAttempts?: number;
  /** How long one attempt may take before it fails as TimeoutError (default 5 s). */
  requestTimeoutMs?: number;
}

/**
 * What a loopback endpoint (dynalite) is called with. Fixed, so the SDK never walks its default
 * credential chain there: that chain ends at the EC2 instance metadata address (169.254.169.254),
 * i.e. traffic off this machine and a stall of up to a second when nothing is configured.
 */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const CONNECTION_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * The document client the repository uses. Bounded connect/request timeouts so a black-holed
 * endpoint becomes UNAVAILABLE instead of a hung call. A loopback endpoint gets static local
 * credentials; any other endpoint (and AWS itself) uses the SDK's default credential chain.
 */
export function createDocumentClient(options: DynamoClientOptions): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined && isLoopback(options.endpoint);
  const client = new DynamoDBClient({
    region: options.region,
    endpoint: options.endpoint,
    maxAttempts: options.maxAttempts,
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // Without it, the SDK (@smithy/node-http-handler 4) only prints a console warning when a
      // request outlives requestTimeout and the request hangs on.
      throwOnRequestTimeout: true,
    },
    credentials: local ? LOCAL_CREDENTIALS : undefined,
  });
  if (isTracingActive()) traceCommands(client);
  return DynamoDBDocumentClient.from(client);
}

/**
 * One client span per DynamoDB operation (`DynamoDB.GetItem`, retries inside it), so the waterfall
 * shows the store's time in DynamoDB. Added only while tracing: without it the SDK runs untouched.
 */
function traceCommands(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => (args) => {
      const operation = context.commandName?.replace(/Command$/, '') ?? 'unknown';
      const table = (args.input as { TableName?: unknown }).TableName;
      return withClientSpan(
        `DynamoDB.${operation}`,
        {
          'rpc.system': 'aws-api',
          'rpc.service': 'DynamoDB',
          'rpc.method': operation,
          'db.system.name': 'aws.dynamodb',
          'db.operation.name': operation,
          ...(typeof table === 'string' ? { 'aws.dynamodb.table_names': [table] } : {}),
        },
        () => next(args),
      );
    },
    { step: 'initialize', name: 'prCanaryTracing' },
  );
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
