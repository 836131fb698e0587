import { describe, expect, it } from 'vitest';
import { startDynalite } from '../src/index';

/** A raw DynamoDB JSON-protocol call (no SDK here: this package only serves the SDK's tests). */
function dynamo(endpoint: string, operation: string, body: object) {
  return fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      'x-amz-date': '20260101T000000Z',
    },
    body: JSON.stringify(body),
  });
}

describe('startDynalite', () => {
  it('serves the DynamoDB API on 127.0.0.1 with tables ACTIVE at once, and frees the port on close', async () => {
    const db = await startDynalite();
    expect(db.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const created = await dynamo(db.endpoint, 'CreateTable', {
      TableName: 'items',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(created.status).toBe(200);
    const described = await dynamo(db.endpoint, 'DescribeTable', { TableName: 'items' });
    expect(((await described.json()) as { Table: { TableStatus: string } }).Table.TableStatus).toBe('ACTIVE');
    await db.close();
    await expect(dynamo(db.endpoint, 'ListTables', {})).rejects.toThrow();
  });
});
