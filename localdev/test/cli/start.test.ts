import { execFile, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const ALL_PORTS_FREE = ['--http-port', '0', '--grpc-port', '0', '--dynamodb-port', '0'];

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

  it('prints one prefix per instance and a ready banner, and stops every child on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [START_BIN, ...ALL_PORTS_FREE, '--no-web', '--in-memory', '--no-canaries'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await expect
      .poll(() => `${stdout}${stderr}`, { timeout: 90_000, interval: 200 })
      .toContain('Ctrl-C stops everything.');

    expect(stdout).toMatch(/^store stable +│ INFO listening port=\d+/m);
    expect(stdout).toMatch(/^api stable +│ INFO listening port=\d+/m);
    expect(stdout).toMatch(/pr-canary local stack is ready in [0-9.]+ s/);
    const apiUrl = /curl -i (http:\/\/localhost:\d+)\/api\/route/.exec(stdout)?.[1];
    expect(apiUrl).toBeDefined();
    expect((await fetch(`${apiUrl}/api/route`)).status).toBe(200);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('every process of the stack has stopped');
    await expect(fetch(`${apiUrl}/api/route`)).rejects.toThrow();
  }, 120_000);
});
