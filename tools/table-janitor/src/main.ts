/**
 * table-janitor [--apply]
 *
 * Env: GITHUB_REPOSITORY (owner/repo), GITHUB_TOKEN (read access to pull requests), AWS_REGION, AWS
 * credentials from the default chain (the dynamodb-table-janitor role: DeleteTable/DescribeTable on
 * <table>-pr-* of the registry (pr-canary-items-pr-*) plus ListTables), DYNAMODB_ENDPOINT (optional, e.g. dynalite).
 * Without --apply it only prints what it would drop.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { gitHubPullRequests } from './github';
import { runJanitor } from './janitor';

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--apply');
  if (unknown.length > 0) {
    console.error('usage: table-janitor [--apply]');
    return 2;
  }
  const [owner, repo, ...rest] = (process.env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo || rest.length > 0) {
    console.error('table-janitor: GITHUB_REPOSITORY must be <owner>/<repo>');
    return 2;
  }
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  const dynamo = new DynamoDBClient({ region: process.env.AWS_REGION, ...(endpoint ? { endpoint } : {}) });
  const report = await runJanitor({
    dynamo,
    pullRequests: gitHubPullRequests({ owner, repo, token: process.env.GITHUB_TOKEN }),
    apply: argv.includes('--apply'),
    log: (line) => console.log(line),
  });
  console.log(
    `${report.kept.length} table(s) of open PRs kept, ${report.closed.length} of closed PRs ${report.dryRun ? 'to drop (dry run: add --apply)' : 'dropped'}`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`table-janitor: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
