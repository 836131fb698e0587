/**
 * The load generators (bench/procs/load-*.ts) are long-lived processes driven over stdin/stdout with
 * one JSON line per message: the bench sends a `LoadCommand`, the generator answers `{id, result}`.
 */
import { createInterface } from 'node:readline';

export interface LoadCommand {
  id: number;
  durationMs: number;
  concurrency: number;
  /** Generator-specific target, e.g. {url} for HTTP or {addr, method} for gRPC. */
  target: Record<string, unknown>;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU the generator itself used during the run. */
  cpuMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Latencies kept for percentiles: a fixed-size reservoir, so a long run costs bounded memory. */
export class LatencySample {
  readonly #values: number[] = [];
  #seen = 0;

  add(ms: number): void {
    this.#seen++;
    if (this.#values.length < 200_000) this.#values.push(ms);
    else {
      const slot = Math.floor(Math.random() * this.#seen);
      if (slot < this.#values.length) this.#values[slot] = ms;
    }
  }

  percentiles(): { p50Ms: number; p99Ms: number } {
    const sorted = [...this.#values].sort((a, b) => a - b);
    return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
  }
}

/**
 * A closed loop: `concurrency` loops each make one `attempt` after another until `durationMs` is up;
 * an attempt resolves true when it succeeded (its latency is sampled) and false or rejects when not.
 */
export async function runClosedLoop(
  { durationMs, concurrency }: Pick<LoadCommand, 'durationMs' | 'concurrency'>,
  attempt: () => Promise<boolean>,
): Promise<Omit<LoadResult, 'cpuMs'>> {
  const latencies = new LatencySample();
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const stopAt = started + durationMs;
  const loop = async () => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      if (await attempt().catch(() => false)) {
        ok++;
        latencies.add(performance.now() - t0);
      } else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { requests: ok, errors, seconds: (performance.now() - started) / 1000, ...latencies.percentiles() };
}

/** Serves commands one at a time until stdin closes. */
export function serveLoadCommands(run: (command: LoadCommand) => Promise<Omit<LoadResult, 'cpuMs'>>): void {
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (text) => {
    const command = JSON.parse(text) as LoadCommand;
    queue = queue.then(async () => {
      const before = process.cpuUsage();
      const result = await run(command).catch((error: unknown) => {
        process.stdout.write(`${JSON.stringify({ id: command.id, error: String(error) })}\n`);
        return undefined;
      });
      if (!result) return;
      const used = process.cpuUsage(before);
      const cpuMs = (used.user + used.system) / 1000;
      process.stdout.write(
        `${JSON.stringify({ id: command.id, ready: true, result: { ...result, cpuMs } })}\n`,
      );
    });
  });
  lines.on('close', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

/** The line a bench process prints once `server` listens: `{"msg":"listening","port":N}`. */
export function announceListening(server: import('node:net').Server): void {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
}
