import { createServer } from 'node:http';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { canaryServices, tableFor } from '@pr-canary/contracts/services';
import {
  type ListeningServer,
  listenOnLoopback,
  type RunningDynalite,
  startDynalite,
} from '@pr-canary/test-support';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitHubError, gitHubPullRequests, type PullRequests } from '../src/github';
import { PR_TABLE, runJanitor } from '../src/janitor';

let dynalite: RunningDynalite;
let dynamo: DynamoDBClient;
beforeAll(async () => {
  dynalite = await startDynalite();
  dynamo = new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  dynamo.destroy();
  await dynalite.close();
});

const TABLES = [
  'pr-canary-items',
  'pr-canary-items-pr-7',
  'pr-canary-items-pr-42',
  'pr-canary-items-pr-99',
  'pr-canary-items-pr-07',
  'other',
];
beforeEach(async () => {
  for (const TableName of TABLES) {
    await dynamo.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
});
afterEach(async () => {
  for (const TableName of (await dynamo.send(new ListTablesCommand({}))).TableNames ?? [])
    await dynamo.send(new DeleteTableCommand({ TableName }));
});

const openPrs = (...numbers: number[]): PullRequests => ({ openNumbers: async () => new Set(numbers) });
const tables = async () => (await dynamo.send(new ListTablesCommand({}))).TableNames?.sort();

describe('table janitor against dynalite (real AWS SDK)', () => {
  it('by default only reports the tables of closed PRs', async () => {
    const lines: string[] = [];
    const report = await runJanitor({ dynamo, pullRequests: openPrs(7), log: (l) => lines.push(l) });
    expect(report).toEqual({
      kept: ['pr-canary-items-pr-7'],
      closed: ['pr-canary-items-pr-42', 'pr-canary-items-pr-99'],
      dropped: [],
      dryRun: true,
    });
    expect(lines).toEqual([
      'would drop pr-canary-items-pr-42 (PR 42 is not open)',
      'would drop pr-canary-items-pr-99 (PR 99 is not open)',
    ]);
    expect(await tables()).toEqual([...TABLES].sort());
  });

  it('with apply drops exactly those, never stable, non-PR or malformed names', async () => {
    const report = await runJanitor({ dynamo, pullRequests: openPrs(7, 1000), apply: true });
    expect(report.dropped).toEqual(['pr-canary-items-pr-42', 'pr-canary-items-pr-99']);
    expect(await tables()).toEqual([
      'other',
      'pr-canary-items',
      'pr-canary-items-pr-07',
      'pr-canary-items-pr-7',
    ]);
  });

  it('drops nothing when GitHub cannot say which PRs are open', async () => {
    const failing: PullRequests = {
      openNumbers: async () => {
        throw new GitHubError('GitHub answered 502 listing open pull requests');
      },
    };
    await expect(runJanitor({ dynamo, pullRequests: failing, apply: true })).rejects.toThrow(/502/);
    expect(await tables()).toEqual([...TABLES].sort());
  });
});

describe('GitHub client (real fetch against a local stand-in for the API)', () => {
  let api: ListeningServer;
  let apiUrl: string;
  const requests: { url: string; auth?: string }[] = [];
  let pages: unknown[][] = [];
  let status = 200;
  beforeAll(async () => {
    const server = createServer((req, res) => {
      requests.push({ url: req.url ?? '', auth: req.headers.authorization });
      const page = Number(new URL(req.url ?? '', 'http://x').searchParams.get('page'));
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? (pages[page - 1] ?? []) : { message: 'nope' }));
    });
    api = await listenOnLoopback(server);
    apiUrl = api.url;
  });
  afterAll(() => api.close());
  beforeEach(() => {
    requests.length = 0;
    status = 200;
  });

  it('reads every page of open pull requests with the token', async () => {
    pages = [Array.from({ length: 100 }, (_, i) => ({ number: i + 1 })), [{ number: 4242 }]];
    const open = await gitHubPullRequests({
      owner: 'pr-canary',
      repo: 'pr-canary',
      token: 't0ken',
      apiUrl,
    }).openNumbers();
    expect(open.size).toBe(101);
    expect(open.has(4242)).toBe(true);
    expect(requests.map((r) => r.url)).toEqual([
      '/repos/pr-canary/pr-canary/pulls?state=open&per_page=100&page=1',
      '/repos/pr-canary/pr-canary/pulls?state=open&per_page=100&page=2',
    ]);
    expect(requests[0]?.auth).toBe('Bearer t0ken');
  });

  it('fails clearly on an error status or a body that is not pull requests', async () => {
    status = 401;
    await expect(gitHubPullRequests({ owner: 'o', repo: 'r', apiUrl }).openNumbers()).rejects.toThrow(
      'GitHub answered 401 listing open pull requests',
    );
    status = 200;
    pages = [[{ number: '7' }]];
    await expect(gitHubPullRequests({ owner: 'o', repo: 'r', apiUrl }).openNumbers()).rejects.toThrow(
      GitHubError,
    );
    expect(() => gitHubPullRequests({ owner: 'o/../x', repo: 'r', apiUrl })).toThrow(/GitHub names/);
  });
});

describe('which tables are PR tables', () => {
  it('takes the tables from the service registry: <table>-pr-<N> of every canaried service with a table', () => {
    const tabled = canaryServices().filter((service) => service.table !== undefined);
    expect(tabled.length).toBeGreaterThan(0);
    for (const service of tabled) {
      expect(PR_TABLE.exec(tableFor(service, 'pr-42'))?.[1]).toBe('42');
      expect(PR_TABLE.test(tableFor(service, 'stable'))).toBe(false);
      expect(PR_TABLE.test(`${tableFor(service, 'pr-42')}-copy`)).toBe(false);
    }
    expect(PR_TABLE.test('someone-elses-table-pr-42')).toBe(false);
  });
});
