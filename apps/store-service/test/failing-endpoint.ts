import { createServer } from 'node:http';
import { listenOnLoopback } from '@pr-canary/test-support';
import { onTestFinished } from 'vitest';

/**
 * An HTTP endpoint that answers every DynamoDB request with one error in DynamoDB's JSON error
 * protocol, so the real SDK sees throttling, server faults or unexpected client errors.
 */
export async function failingDynamoEndpoint(
  status: number,
  errorType: string,
  message: string,
): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${errorType}`, message }));
    });
  });
  const listening = await listenOnLoopback(server);
  onTestFinished(() => listening.close());
  return listening.url;
}
