import { execFile } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const START_BIN = path.resolve(__dirname, '../../bin/start.mjs');

function runStart(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [START_BIN, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

async function occupyPort(): Promise<number> {
  const server = net.createServer();
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('npm start (localdev/bin/start.mjs)', () => {
  it('stops before starting anything when a port is taken, naming the port and the flag', async () => {
    const port = await occupyPort();
    const run = await runStart(['--http-port', String(port), '--no-web', '--in-memory']);
    expect(run.stderr).toContain(`port ${port} (dev router HTTP entry) is already in use`);
    expect(run.stderr).toContain('--http-port <port>');
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
  });

  it('rejects a malformed --canary with a message naming the rule', async () => {
    const run = await runStart(['--canary', '042=api', '--no-web', '--in-memory']);
    expect(run.stderr).toContain(
      'invalid --canary value: pr: a PR number is 1-999999999 without leading zeros',
    );
    expect(run.code).toBe(1);
  });
});
