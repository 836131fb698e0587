import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
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

/** startDynalite on `dir` in a child process (a spinning mkdir could not be stopped in this one). */
function startInChild(dir: string): Promise<{ stdout: string; killed: boolean }> {
  const fixture = path.join(__dirname, 'fixtures', 'dynalite-at.ts');
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--conditions=pr-canary-source', '--import', 'tsx', fixture, dir],
      { timeout: 10_000, killSignal: 'SIGKILL' },
      (_error, stdout) => resolve({ stdout, killed: child.killed }),
    );
  });
}

describe('startDynalite with a data folder', () => {
  it('creates the missing folders, and says no at once where one cannot be made (under /proc too)', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'dynalite-dir-'));
    onTestFinished(() => rm(base, { recursive: true, force: true }));
    const nested = path.join(base, 'a', 'b', 'data');
    expect(await startInChild(nested)).toEqual({ stdout: 'listening\n', killed: false });
    expect((await stat(nested)).isDirectory()).toBe(true);

    await writeFile(path.join(base, 'file'), '');
    const refusals: [string, string][] = [[path.join(base, 'file', 'data'), 'ENOTDIR']];
    // procfs answers ENOENT for a folder it cannot hold: Node's recursive mkdir spun on it forever.
    if (process.platform === 'linux') refusals.push(['/proc/pr-canary-no-such/data', 'ENOENT']);
    for (const [dir, code] of refusals)
      expect(await startInChild(dir), dir).toEqual({ stdout: `refused: ${code}\n`, killed: false });
  });
});
