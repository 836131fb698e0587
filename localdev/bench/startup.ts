/**
 * Start-up and idle cost of the services, spawned exactly as the local stack spawns them (compiled
 * `dist/server.js` with the compiled telemetry register, telemetry off), and of the whole local stack.
 *
 *   npm run bench:startup -w @pr-canary/localdev [-- --rounds 5 --idle-ms 5000 --source --json]
 *
 * Per service and round: spawn → `listening` (ms); after a 1 s settle, an idle window in which nothing
 * calls the service: CPU used (% of one core), wake-ups (voluntary context switches of all its threads,
 * per second) and RSS at the end. The whole stack (dynalite, stable + demo canaries, dev router, web
 * dev server): startStack → ready (s) and the summed RSS of every process it started. Medians of the
 * rounds are printed against the targets of issue 9; `--json` prints them as JSON instead.
 * `--source` spawns the services the old way (tsx from TypeScript sources) for a same-run comparison.
 * Linux only (reads /proc). Run on a quiet machine: figures are wall-clock times.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import dynalite from 'dynalite';
import { DEMO_CANARIES, startStack } from '../src/index';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'idle-ms': { type: 'string', default: '5000' },
    source: { type: 'boolean', default: false },
    'no-stack': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const ROUNDS = positiveInteger('--rounds', flags.rounds);
const IDLE_MS = positiveInteger('--idle-ms', flags['idle-ms']);
const SETTLE_MS = 1_000;
const REPO_ROOT = path.resolve(__dirname, '../..');
const LOOPBACK = '127.0.0.1';
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Targets from issue 9 ("Run what ships"), for a quiet machine. */
const TARGETS = { listeningMs: 600, rssMb: 80, stackReadyS: 4, stackRssMb: 600 } as const;

const SERVICE_ARGS = flags.source
  ? [
      '--conditions=pr-canary-source',
      '--import',
      'tsx',
      '--require',
      '@pr-canary/canary-context/register',
      'src/server.ts',
    ]
  : ['--enable-source-maps', '--require', '@pr-canary/canary-context/register', 'dist/server.js'];

function positiveInteger(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

interface ProcSample {
  cpuTicks: number;
  wakeups: number;
  rssKb: number;
}

/** CPU ticks (user + system), voluntary context switches of every thread, and RSS of one process. */
function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  let wakeups = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    wakeups += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuTicks, wakeups, rssKb };
}

/** Every process below `root` (children, grandchildren, …), from /proc. */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

interface ServiceRound {
  listeningMs: number;
  rssMb: number;
  idleCpuPercent: number;
  wakeupsPerS: number;
}

/** Spawns one service, waits for `listening`, measures it idle, then stops it with SIGTERM. */
async function measureService(workspace: string, env: Record<string, string>): Promise<ServiceRound> {
  const started = performance.now();
  const child = spawn(process.execPath, SERVICE_ARGS, {
    cwd: path.join(REPO_ROOT, 'apps', workspace),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const listeningMs = await untilListening(child, started);
    await sleep(SETTLE_MS);
    const pid = child.pid as number;
    const before = sampleProcess(pid);
    const windowStart = performance.now();
    await sleep(IDLE_MS);
    const after = sampleProcess(pid);
    const seconds = (performance.now() - windowStart) / 1000;
    return {
      listeningMs,
      rssMb: after.rssKb / 1024,
      idleCpuPercent: ((after.cpuTicks - before.cpuTicks) / CLOCK_TICKS / seconds) * 100,
      wakeupsPerS: (after.wakeups - before.wakeups) / seconds,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

function untilListening(child: ChildProcess, started: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      if (/"msg":"listening"/.test(pending)) resolve(performance.now() - started);
      pending = pending.slice(pending.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening: ${stderr}`)));
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function medians(rounds: readonly ServiceRound[]): ServiceRound {
  return {
    listeningMs: median(rounds.map((round) => round.listeningMs)),
    rssMb: median(rounds.map((round) => round.rssMb)),
    idleCpuPercent: median(rounds.map((round) => round.idleCpuPercent)),
    wakeupsPerS: median(rounds.map((round) => round.wakeupsPerS)),
  };
}

async function measureStack(): Promise<{ readyS: number; rssMb: number; processes: number }> {
  const started = performance.now();
  const stack = await startStack({ web: true, canaries: DEMO_CANARIES, env: { PATH: process.env.PATH } });
  try {
    const readyS = (performance.now() - started) / 1000;
    await sleep(SETTLE_MS);
    const processes = descendantsOf(process.pid);
    let rssKb = 0;
    for (const pid of processes) {
      try {
        rssKb += sampleProcess(pid).rssKb;
      } catch {
        // A short-lived helper (e.g. getconf) that ended meanwhile.
      }
    }
    return { readyS, rssMb: rssKb / 1024, processes: processes.length };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const db = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => db.listen(0, LOOPBACK, resolve));
  const dynamodb = `http://${LOOPBACK}:${(db.address() as AddressInfo).port}`;
  const common = {
    HOST: LOOPBACK,
    PORT: '0',
    METRICS_PORT: '0',
    CANARY_TRACK: 'stable',
    SERVICE_VERSION: '0.1.0',
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'info',
  };
  const storeEnv = {
    ...common,
    DYNAMODB_TABLE: 'items',
    DYNAMODB_ENDPOINT: dynamodb,
    DYNAMODB_CREATE_TABLE: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
  };
  // The api dials a store that is up, as in the stack; one store serves every api round.
  const store = spawn(process.execPath, SERVICE_ARGS, {
    cwd: path.join(REPO_ROOT, 'apps/store-service'),
    env: { PATH: process.env.PATH ?? '', ...storeEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let storePort = 0;
  store.stdout?.on('data', (chunk: Buffer) => {
    const port = /"msg":"listening"/.test(chunk.toString()) && /"port":(\d+)/.exec(chunk.toString())?.[1];
    if (port) storePort = Number(port);
  });
  await untilListening(store, performance.now());
  const apiEnv = { ...common, STORE_ADDR: `${LOOPBACK}:${storePort}` };

  const storeRounds: ServiceRound[] = [];
  const apiRounds: ServiceRound[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    storeRounds.push(await measureService('store-service', storeEnv));
    apiRounds.push(await measureService('api-service', apiEnv));
  }
  store.kill('SIGTERM');
  await once(store, 'exit');
  await new Promise((resolve) => db.close(resolve));
  const stack = flags['no-stack'] ? undefined : await measureStack();

  const result = {
    mode: flags.source ? 'source (tsx)' : 'compiled (dist)',
    node: process.version,
    rounds: ROUNDS,
    idleWindowMs: IDLE_MS,
    services: { 'store-service': medians(storeRounds), 'api-service': medians(apiRounds) },
    stack,
    targets: TARGETS,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const verdict = (ok: boolean) => (ok ? 'pass' : 'FAIL');
  const lines = [
    `start-up and idle cost, ${result.mode}, node ${result.node}, median of ${ROUNDS} rounds, idle window ${IDLE_MS} ms`,
  ];
  for (const [name, figures] of Object.entries(result.services)) {
    lines.push(
      `  ${name.padEnd(14)} listening ${figures.listeningMs.toFixed(0).padStart(5)} ms (≤ ${TARGETS.listeningMs}: ${verdict(figures.listeningMs <= TARGETS.listeningMs)})` +
        `  idle RSS ${figures.rssMb.toFixed(1).padStart(5)} MB (≤ ${TARGETS.rssMb}: ${verdict(figures.rssMb <= TARGETS.rssMb)})` +
        `  idle CPU ${figures.idleCpuPercent.toFixed(2)} %  wake-ups ${figures.wakeupsPerS.toFixed(1)}/s`,
    );
  }
  if (stack) {
    lines.push(
      `  whole stack    ready ${stack.readyS.toFixed(2)} s (≤ ${TARGETS.stackReadyS}: ${verdict(stack.readyS <= TARGETS.stackReadyS)})` +
        `  RSS ${stack.rssMb.toFixed(0)} MB in ${stack.processes} processes (≤ ${TARGETS.stackRssMb}: ${verdict(stack.rssMb <= TARGETS.stackRssMb)})`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:startup failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
