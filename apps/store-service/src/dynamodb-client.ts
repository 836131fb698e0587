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
      const { name, attributes } = operationSpan(
        context.commandName,
        (args.input as { TableName?: unknown }).TableName,
      );
      return withClientSpan(name, attributes, () => next(args));
    },
    { step: 'initialize', name: 'prCanaryTracing' },
  );
}

interface OperationSpan {
  name: string;
  attributes: Parameters<typeof withClientSpan>[1];
}

/**
 * The span name and attributes of an operation on a table: the same few pairs call after call, so
 * each is built once (frozen; the SDK span copies them) instead of a regex, a name and two objects
 * per call. Bounded: ever-new table names only refill it.
 */
const OPERATION_SPAN_LIMIT = 256;
const operationSpans = new Map<string | undefined, Map<string | undefined, OperationSpan>>();

function operationSpan(commandName: string | undefined, table: unknown): OperationSpan {
  const tableName = typeof table === 'string' ? table : undefined;
  let byTable = operationSpans.get(commandName);
  if (byTable === undefined) {
    if (operationSpans.size >= OPERATION_SPAN_LIMIT) operationSpans.clear();
    byTable = new Map();
    operationSpans.set(commandName, byTable);
  }
  let span = byTable.get(tableName);
  if (span === undefined) {
    const operation = commandName?.replace(/Command$/, '') ?? 'unknown';
    span = Object.freeze({
      name: `DynamoDB.${operation}`,
      attributes: Object.freeze({
        'rpc.system': 'aws-api',
        'rpc.service': 'DynamoDB',
        'rpc.method': operation,
        'db.system.name': 'aws.dynamodb',
        'db.operation.name': operation,
        ...(tableName === undefined ? {} : { 'aws.dynamodb.table_names': [tableName] }),
      }),
    });
    if (byTable.size >= OPERATION_SPAN_LIMIT) byTable.clear();
    byTable.set(tableName, span);
  }
  return span;
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
