/** The PR workflow posts the verdict in its comment: what renderMarkdown writes is what canary-comment accepts. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { renderMarkdown } from '../src/format';
import { judge } from '../src/verdict';

const SCRIPT = path.resolve(__dirname, '../../../.github/scripts/canary-comment.mjs');

function calls(n: number, errors: number, track: string) {
  return {
    track,
    calls: n,
    errors,
    latencies: { kind: 'samples' as const, ms: Array.from({ length: n }, (_, i) => 5 + (i % 7)) },
  };
}

/** Runs the comment script as the workflow does, with the verdict markdown in a file. */
function render(markdown: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'verdict-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'verdict.md');
  writeFileSync(file, markdown);
  const sha = 'abcdef0123456789abcdef0123456789abcdef01';
  try {
    return execFileSync(
      process.execPath,
      [SCRIPT, 'render', '--pr', '7', '--sha', sha, '--owner', 'acme', '--verdict', file],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (error) {
    throw new Error(String((error as { stderr?: string }).stderr));
  }
}

describe('the verdict in the PR comment', () => {
  it('goes from pr-canary analyze --markdown into canary-comment render --verdict', () => {
    const verdict = judge({
      pr: '7',
      mode: 'prometheus 30m',
      hops: [
        {
          hop: 'store-service',
          protocol: 'grpc',
          source: 'x',
          stable: calls(150, 0, 'stable'),
          pr: calls(150, 30, 'pr-7'),
        },
      ],
    });
    const body = render(renderMarkdown(verdict));
    expect(body).toContain('**Verdict:** ❌ FAIL — PR 7 is worse than stable, starting at store-service');
    expect(body).toContain('| store-service | ❌ fail | 20.0 % vs 0.0 % |');
  });

  it('refuses markdown that is not a verdict', () => {
    expect(() => render('**Verdict:** ok <img src=x onerror=alert(1)>')).toThrow(/HTML, links or code/);
    expect(() => render('**Verdict:** [click](https://evil.example)')).toThrow(/HTML, links or code/);
    expect(() => render('# hello')).toThrow(/not what pr-canary analyze --markdown writes/);
  });
});
