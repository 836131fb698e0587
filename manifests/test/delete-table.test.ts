/**
 * The PostDelete hook's script (platform/delete-table.sh), run by a real `sh` against a stand-in
 * `aws` first on PATH that answers like the AWS CLI does (exit 254 and the error code on stderr) and
 * logs every call. What it must hold: an AWS failure never fails the hook (Argo CD would re-create a
 * failed PostDelete hook and keep the Application Terminating), the tries are bounded and the last
 * line says the table is left for the janitor; a name that is not a PR table is refused outright.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFESTS_DIR } from '../src/layout';

const SCRIPT = path.join(MANIFESTS_DIR, 'platform/delete-table.sh');
const scratch = mkdtempSync(path.join(tmpdir(), 'manifests-delete-table-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * `aws dynamodb <op>`: answers each call of <op> with the next line of $ANSWERS/<op> (`ok`, or an
 * AWS error code), the last line repeating; appends "<op> <table>" to $ANSWERS/calls.
 */
const FAKE_AWS = `#!/bin/sh
op="$2"; table="$4"
echo "$op $table" >> "$ANSWERS/calls"
n=$(grep -c "^$op " "$ANSWERS/calls")
answer=$(sed -n "\${n}p" "$ANSWERS/$op"); [ -n "$answer" ] || answer=$(tail -n 1 "$ANSWERS/$op")
[ "$answer" = ok ] && exit 0
echo "An error occurred ($answer) when calling the $op operation: simulated" >&2
exit 254
`;

let runs = 0;

async function runScript(table: string, answers: Record<string, string[]>) {
  const dir = path.join(scratch, `run-${++runs}`);
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'aws'), FAKE_AWS);
  chmodSync(path.join(bin, 'aws'), 0o755);
  for (const [op, lines] of Object.entries(answers))
    writeFileSync(path.join(dir, op), `${lines.join('\n')}\n`);
  writeFileSync(path.join(dir, 'calls'), '');
  const env = {
    PATH: `${bin}:${process.env.PATH}`,
    ANSWERS: dir,
    TABLE_NAME: table,
    RETRY_PAUSE_SECONDS: '0',
  };
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('sh', [SCRIPT], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
  const calls = readFileSync(path.join(dir, 'calls'), 'utf8').split('\n').filter(Boolean);
  return { ...result, calls };
}

describe('the cleanup hook script (platform/delete-table.sh)', () => {
  it('deletes the table and waits until DynamoDB reports it gone', async () => {
    const run = await runScript('pr-canary-items-pr-7', {
      'delete-table': ['ok'],
      'describe-table': ['ok', 'ResourceNotFoundException'],
    });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual([
      'delete-table pr-canary-items-pr-7',
      'describe-table pr-canary-items-pr-7',
      'describe-table pr-canary-items-pr-7',
    ]);
    expect(run.stdout).toMatch(/deleted table pr-canary-items-pr-7\n$/);
  });

  it('counts a table that is already gone as deleted', async () => {
    const run = await runScript('pr-canary-items-pr-7', { 'delete-table': ['ResourceNotFoundException'] });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['delete-table pr-canary-items-pr-7']);
    expect(run.stdout).toBe('table pr-canary-items-pr-7 is already gone\n');
  });

  it('retries an AWS error, and succeeds once a retry does', async () => {
    const run = await runScript('pr-canary-items-pr-7', {
      'delete-table': ['ThrottlingException', 'ok'],
      'describe-table': ['ResourceNotFoundException'],
    });
    expect(run.code).toBe(0);
    expect(run.calls.filter((c) => c.startsWith('delete-table'))).toHaveLength(2);
    expect(run.stderr).toMatch(
      /attempt 1\/3 to delete table pr-canary-items-pr-7 failed:\n.*ThrottlingException/,
    );
    expect(run.stdout).toMatch(/deleted table pr-canary-items-pr-7\n$/);
  });

  it('gives up after 3 tries without failing the hook, leaving the table to the janitor', async () => {
    const run = await runScript('pr-canary-items-pr-7', { 'delete-table': ['AccessDeniedException'] });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(Array(3).fill('delete-table pr-canary-items-pr-7'));
    expect(run.stderr).toMatch(/attempt 3\/3 .* failed:\n.*AccessDeniedException/);
    expect(run.stdout).toBe(
      'giving up: table pr-canary-items-pr-7 is left for the table janitor (tools/table-janitor)\n',
    );
  });

  it('stops waiting for a deletion DynamoDB accepted after a bounded number of polls', async () => {
    const run = await runScript('pr-canary-items-pr-7', { 'delete-table': ['ok'], 'describe-table': ['ok'] });
    expect(run.code).toBe(0);
    expect(run.calls.filter((c) => c.startsWith('describe-table'))).toHaveLength(8);
    expect(run.stdout).toMatch(
      /is still being deleted \(DynamoDB finishes it; the table janitor lists it if not\)\n$/,
    );
  });

  it('takes the longest PR number the canary key allows', async () => {
    const run = await runScript('pr-canary-items-pr-999999999', {
      'delete-table': ['ok'],
      'describe-table': ['ResourceNotFoundException'],
    });
    expect(run.code).toBe(0);
    expect(run.calls[0]).toBe('delete-table pr-canary-items-pr-999999999');
  });

  it('refuses the stable table (and any other name) without calling AWS', async () => {
    for (const table of [
      'pr-canary-items',
      'pr-canary-items-pr-0',
      'pr-canary-items-pr-',
      'pr-canary-items-pr-1-stable-backup',
      'pr-canary-items-pr-1x',
      'pr-canary-items-pr-07',
      'pr-canary-items-pr-1234567890',
      'x-pr-canary-items-pr-1',
    ]) {
      const run = await runScript(table, { 'delete-table': ['ok'] });
      expect(run.code).toBe(1);
      expect(run.calls).toEqual([]);
      expect(run.stderr).toMatch(/refusing to delete/);
    }
  });
});
