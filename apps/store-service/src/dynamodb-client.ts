import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoClientOptions {
  region: string;
  /** e.g. http://127.0.0.1:4567 for dynalite; unset for AWS. */
  endpoint?: string;
  /** SDK attempts per request, retries included (SDK default 3). */
  maxAttempts?: number;
}

/** Credentials used against a loopback endpoint (dynalite) when the default chain finds none. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const CONNECTION_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * The document client the repository uses. Bounded connect/request timeouts so a black-holed
 * endpoint becomes UNAVAILABLE instead of a hung call. Against a loopback endpoint, configured
 * credentials win and dummy ones fill in only when the default provider chain has none.
 */
export function createDocumentClient(options: DynamoClientOptions): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined && isLoopback(options.endpoint);
  const client = new DynamoDBClient({
    region: options.region,
    endpoint: options.endpoint,
    maxAttempts: options.maxAttempts,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    credentials: local ? localCredentials() : undefined,
  });
  return DynamoDBDocumentClient.from(client);
}

function localCredentials() {
  const chain = defaultProvider();
  return async () => {
    try {
      return await chain();
    } catch {
      return LOCAL_CREDENTIALS;
    }
  };
}

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
