import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** One repeat jscpd found: the same lines (or the same shape under other names) in two places. */
export interface Clone {
  /** `path:start-end`, paths relative to the scanned folder. */
  first: string;
  second: string;
  lines: number;
  tokens: number;
}

interface JscpdReport {
  duplicates: {
    lines: number;
    tokens: number;
    firstFile: { name: string; start: number; end: number };
    secondFile: { name: string; start: number; end: number };
  }[];
}

const JSCPD = path.join(
  path.dirname(createRequire(__filename).resolve('jscpd/package.json')),
  'run-jscpd.js',
);

/**
 * Runs jscpd (exact version pinned in package.json) over `dir` with the configuration `config`
 * (the repository's `.jscpd.json`: at least 6 lines and 50 tokens, names ignored so that renamed
 * copies count, generated code left out) and returns every clone it reports.
 */
export function findClones(dir: string, config: string): Clone[] {
  const output = mkdtempSync(path.join(tmpdir(), 'pr-canary-jscpd-'));
  try {
    execFileSync(
      process.execPath,
      [JSCPD, '--config', config, '--reporters', 'json', '--output', output, '--silent', '--no-tips', '.'],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const report = JSON.parse(readFileSync(path.join(output, 'jscpd-report.json'), 'utf8')) as JscpdReport;
    return report.duplicates.map((clone) => ({
      first: `${clone.firstFile.name}:${clone.firstFile.start}-${clone.firstFile.end}`,
      second: `${clone.secondFile.name}:${clone.secondFile.start}-${clone.secondFile.end}`,
      lines: clone.lines,
      tokens: clone.tokens,
    }));
  } finally {
    rmSync(output, { recursive: true, force: true });
  }
}

/** The files of a clone, for matching it against an allowed pair whatever the line numbers. */
export function clonePair(clone: Clone): [string, string] {
  const file = (place: string) => place.slice(0, place.lastIndexOf(':'));
  return [file(clone.first), file(clone.second)];
}
