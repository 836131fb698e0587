/**
 * `npm run bench`: runs every `*.bench.ts` in this folder (alphabetically, one at a time, each as its
 * own process), prints their markdown and a pass/fail summary, and writes everything to
 * bench/results/latest.json (BENCH_UPDATE_README=1 also puts the report into the root README).
 * A bench script writes a BenchResult (lib/result.ts) as JSON to the file named by BENCH_RESULT_FILE. `npm run bench -- <name>` runs only the scripts whose name contains it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BENCH_DIR, REPO_ROOT, spawnNode } from './lib/children';

const README_START = '<!-- bench:start (npm run bench with BENCH_UPDATE_README=1 rewrites this block) -->';
const README_END = '<!-- bench:end -->';

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
  const report = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}.`,
    ...sections,
    summary,
  ].join('\n\n');
  process.stdout.write(`\n${report}\n`);
  if (process.env.BENCH_UPDATE_README === '1') updateReadme(report);
  const latest = path.join(resultsDir, 'latest.json');
  writeFileSync(
    latest,
    JSON.stringify({ date: new Date().toISOString(), machine, summary, results }, null, 2),
  );
  process.stderr.write(`results: ${path.relative(process.cwd(), latest)}\n`);
}

/** BENCH_UPDATE_README=1: the report replaces what stands between the bench markers in README.md. */
function updateReadme(report: string): void {
  const readme = path.join(REPO_ROOT, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start === -1 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} block`);
  writeFileSync(readme, `${text.slice(0, start + README_START.length)}\n${report}\n${text.slice(end)}`);
  process.stderr.write('README.md performance figures updated\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
