/**
 * `npm run bench`: runs every `*.bench.ts` in this folder (alphabetically, one at a time, each as its
 * own process), prints their markdown and a pass/fail summary, and writes everything to
 * bench/results/latest.json. A bench script writes a BenchResult (lib/result.ts) as JSON to the file
 * named by BENCH_RESULT_FILE. `npm run bench -- <name>` runs only the scripts whose name contains it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BENCH_DIR, spawnNode } from './lib/children';
import type { BenchResult } from './lib/result';

async function main(): Promise<void> {
  const filter = process.argv[2];
  const scripts = readdirSync(BENCH_DIR)
    .filter((name) => name.endsWith('.bench.ts') && (!filter || name.includes(filter)))
    .sort();
  if (scripts.length === 0) throw new Error(`no bench script matches ${filter ?? '*.bench.ts'}`);
  const resultsDir = path.join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const results: (BenchResult & { script: string; seconds: number })[] = [];
  for (const script of scripts) {
    const resultFile = path.join(resultsDir, `${path.basename(script, '.bench.ts')}.json`);
    const started = Date.now();
    process.stderr.write(`== ${script}\n`);
    const child = spawnNode(script, ['--conditions=pr-canary-source', '--import', 'tsx', script], {
      env: { ...process.env, BENCH_RESULT_FILE: resultFile },
    });
    child.process.stderr?.pipe(process.stderr);
    child.process.stdout?.pipe(process.stdout);
    const code = await new Promise<number | null>((resolve) => child.process.once('exit', resolve));
    if (code !== 0) throw new Error(`${script} failed (exit ${code})`);
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as BenchResult;
    results.push({ ...result, script, seconds: (Date.now() - started) / 1000 });
  }
  const machine = `${process.platform} ${process.arch}, Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, load average ${(
    await import('node:os')
  )
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;
  const sections = results.map((r) => `### ${r.title}\n\n${r.markdown}`);
  const checks = results.flatMap((r) => r.checks);
  const failed = checks.filter((c) => !c.pass);
  const summary = `${checks.length - failed.length} of ${checks.length} targets met${failed.length ? ` (missed: ${failed.map((c) => c.name).join('; ')})` : ''}.`;
  process.stdout.write(
    `\n${[`Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}.`, '', ...sections, '', summary].join('\n\n')}\n`,
  );
  const latest = path.join(resultsDir, 'latest.json');
  writeFileSync(
    latest,
    JSON.stringify({ date: new Date().toISOString(), machine, summary, results }, null, 2),
  );
  process.stderr.write(`results: ${path.relative(process.cwd(), latest)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
