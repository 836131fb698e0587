/**
 * Drops the DynamoDB tables of PR canaries whose pull request is no longer open — what the PostDelete
 * hook of a PR's store app would have done, had it run (a removed finalizer, a failed hook, a table a
 * canary recreated). Only a canary's own table is ever touched: `<table>-pr-<N>` for the `table` of a
 * canaried service in the registry (`pr-canary-items-pr-<N>` today); a dry run (the default) only
 * reports. If GitHub cannot say which PRs are open, nothing is dropped.
 */
import {
  DeleteTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { PR_NUMBER_SOURCE } from '@pr-canary/contracts/canary-key';
import { canaryServices } from '@pr-canary/contracts/services';
import type { PullRequests } from './github';

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CANARY_TABLES = canaryServices().flatMap((service) =>
  service.table ? [literally(service.table)] : [],
);

/** A PR canary's table, `<table>-pr-<N>` for a registered table; group 1 is the PR number. */
export const PR_TABLE =
  CANARY_TABLES.length === 0
    ? /(?!)/
    : new RegExp(`^(?:${CANARY_TABLES.join('|')})-pr-(${PR_NUMBER_SOURCE})$`);

export interface JanitorReport {
  /** PR tables whose PR is open. */
  kept: string[];
  /** PR tables whose PR is closed: dropped (apply) or to drop (dry run). */
  closed: string[];
  dropped: string[];
  dryRun: boolean;
}

async function listTables(dynamo: DynamoDBClient): Promise<string[]> {
  const names: string[] = [];
  let start: string | undefined;
  do {
    const page = await dynamo.send(new ListTablesCommand({ ExclusiveStartTableName: start, Limit: 100 }));
    names.push(...(page.TableNames ?? []));
    start = page.LastEvaluatedTableName;
  } while (start !== undefined);
  return names;
}

export async function runJanitor(options: {
  dynamo: DynamoDBClient;
  pullRequests: PullRequests;
  apply?: boolean;
  log?: (line: string) => void;
}): Promise<JanitorReport> {
  const { dynamo, pullRequests, apply = false, log = () => {} } = options;
  const prTables = (await listTables(dynamo)).filter((name) => PR_TABLE.test(name)).sort();
  const open = await pullRequests.openNumbers();
  const report: JanitorReport = { kept: [], closed: [], dropped: [], dryRun: !apply };
  for (const table of prTables) {
    const pr = Number(PR_TABLE.exec(table)?.[1]);
    if (open.has(pr)) {
      report.kept.push(table);
      continue;
    }
    report.closed.push(table);
    if (!apply) {
      log(`would drop ${table} (PR ${pr} is not open)`);
      continue;
    }
    try {
      await dynamo.send(new DeleteTableCommand({ TableName: table }));
      log(`dropped ${table} (PR ${pr} is not open)`);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      log(`${table} was already gone`);
    }
    report.dropped.push(table);
  }
  return report;
}
