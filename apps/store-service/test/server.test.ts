import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type HealthResponse, healthClientConstructor } from '../src/health';
import { dynaliteEndpoint, unary } from './helper';

const PACKAGE_ROOT = path.resolve(__dirname, '..');
/** The workspace's `npm start` command, run directly so the test owns the node process. */
const START_ARGS = [
  '--conditions=pr-canary-source',
  '--import',
  'tsx',
  '--require',
  '@pr-canary/canary-context/register',
  'src/server.ts',
];
const PROCESS_TIMEOUT_MS = 90_000;

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, START_ARGS, {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env.PATH ?? '', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(JSON.parse(line));
    child.emit('logline', lines.at(-1));
  });
  return { child, lines, stderr: () => stderr };
}

function logLine(child: ChildProcess, msg: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    child.on('logline', (line: Record<string, unknown>) => line.msg === msg && resolve(line));
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before logging "${msg}"`)));
  });
}

describe('src/server.ts as a process', () => {
  it(
    'listens on an ephemeral port, then on SIGTERM reports NOT_SERVING, drains and exits 0',
    async () => {
      const { child, lines } = startServer({
        PORT: '0',
        METRICS_PORT: '0',
        DYNAMODB_TABLE: 'items',
        DYNAMODB_ENDPOINT: await dynaliteEndpoint(),
        DYNAMODB_CREATE_TABLE: 'true',
        SHUTDOWN_DRAIN_MS: '2000',
      });
      const listening = await logLine(child, 'listening');
      expect(listening).toMatchObject({
        service: 'store-service',
        track: 'stable',
        port: expect.any(Number),
      });
      expect(listening.port).not.toBe(0);

      const HealthClient = healthClientConstructor();
      const health = new HealthClient(`127.0.0.1:${listening.port}`, grpc.credentials.createInsecure());
      onTestFinished(() => health.close());
      const check = () => unary<HealthResponse>((md, o, cb) => health.check({ service: '' }, md, o, cb));
      expect(await check()).toEqual({ status: 'SERVING' });

      const draining = logLine(child, 'shutting down');
      child.kill('SIGTERM');
      await draining;
      expect(await check()).toEqual({ status: 'NOT_SERVING' });
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(lines.at(-1)).toMatchObject({ msg: 'shutdown complete', code: 0 });
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'exits 1 naming the variable when the configuration is invalid',
    async () => {
      const { child, stderr } = startServer({ PORT: '0', DYNAMODB_CREATE_TABLE: 'maybe' });
      const [code] = await once(child, 'exit');
      expect(code).toBe(1);
      expect(stderr()).toContain('DYNAMODB_TABLE: is required');
      expect(stderr()).toContain('DYNAMODB_CREATE_TABLE: must be "true" or "false"');
    },
    PROCESS_TIMEOUT_MS,
  );
});
