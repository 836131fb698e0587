import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  BOT_LOGIN,
  COMMENT_MARKER,
  findCommentId,
  renderComment,
  safeUrl,
  uncheckedServices,
} from '../../../.github/scripts/canary-comment.mjs';
import { readRepoFile, repoPath } from '../src/repo';
import { run } from '../src/tools';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const base = {
  pr: '42',
  sha: SHA,
  owner: 'acme',
  build: ['store-service'],
  probe: 'passed' as const,
  apiUrl: 'https://api.int-001.example.com',
  webUrl: 'https://app.int-001.example.com/',
};

describe('the canary comment body', () => {
  const body = renderComment(base);

  it('starts with the marker that lets every push edit the same comment', () => {
    expect(body.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
  });

  it('lists each service with the track X-Canary reaches and the image deployed', () => {
    expect(body).toContain('| api-service | `stable` | unchanged by this PR |');
    expect(body).toContain('| store-service | `pr-42` | `ghcr.io/acme/store-service:pr-42-abcdef01` |');
  });

  it('gives curl lines for the integration api with the PR’s header', () => {
    expect(body).toContain("curl -sS -H 'X-Canary: 42' https://api.int-001.example.com/api/route");
    expect(body).toContain("curl -sS -i -H 'X-Canary: 42' https://api.int-001.example.com/api/items");
  });

  it('tells a tester how to set the extension for this PR: the page and its API, with their schemes', () => {
    expect(body).toContain(
      '2. Open https://app.int-001.example.com, click the PR Canary icon → **Add this page and the API it calls**',
    );
    expect(body).toContain(
      '`https://app.int-001.example.com` and `https://api.int-001.example.com`; Chrome asks once), set the PR to `42`',
    );
    expect(body).toContain('By hand: add both origins, the page');
    // Every origin it names is one the popup takes as is (scheme included, no path).
    const origins = [...body.matchAll(/`(https?:\/\/[^`/]+)`/g)].map((match) => match[1]);
    expect(origins).toEqual(['https://app.int-001.example.com', 'https://api.int-001.example.com']);
    for (const origin of origins) expect(new URL(origin ?? '').origin).toBe(origin);
  });

  it('names placeholder origins with a scheme when no URLs are configured', () => {
    const bare = renderComment({ ...base, apiUrl: undefined, webUrl: undefined });
    expect(bare).toContain('`https://<web-ui-host>` and `https://api.<integration-domain>`');
    expect(bare).not.toMatch(/add the origin `api\./);
  });

  it('reports the probe outcome', () => {
    expect(body).toContain('**Probe:** ✅');
    expect(renderComment({ ...base, probe: 'failed' })).toContain('**Probe:** ❌');
    const skipped = renderComment({ ...base, probe: 'skipped', apiUrl: undefined });
    expect(skipped).toContain('**Probe:** ⏭️ not run');
    expect(skipped).toContain("curl -sS -H 'X-Canary: 42' https://api.<integration-domain>/api/route");
  });

  it('names the canaries a passing probe could not check, read from what `pr-canary probe --json` prints', async () => {
    // A route whose request passes the api only: the store's expectation is skipped (--skip-unreached).
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          canary: '42',
          warning: null,
          hops: [{ service: 'api-service', track: 'pr-42', version: '1' }],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      repoPath('localdev/bin/pr-canary.mjs'),
      ...['probe', '--url', url, '--pr', '42', '-n', '2', '--expect', 'api=pr-42,store=pr-42'],
      ...['--skip-unreached', '--json'],
    ]);
    const unchecked = uncheckedServices(stdout);
    expect(unchecked).toEqual(['store-service']);
    const line = renderComment({ ...base, unchecked })
      .split('\n')
      .find((l) => l.startsWith('**Probe:**'));
    expect(line).toContain('✅');
    expect(line).toContain('⚠️ not checked: store-service');
    // Nothing unchecked: the plain pass; a failed probe says only that.
    expect(renderComment({ ...base, unchecked: [] })).not.toContain('not checked');
    expect(renderComment({ ...base, probe: 'failed', unchecked })).not.toContain('not checked');
    expect(() =>
      uncheckedServices('{"expectations":[{"service":"nosuch-service","checked":false}]}'),
    ).toThrow();
    expect(() => uncheckedServices('{}')).toThrow(/not what pr-canary probe --json writes/);
  });

  it('links the run, the Argo CD applications and the dashboard filtered to this PR', () => {
    const linked = renderComment({
      ...base,
      runUrl: 'https://github.com/acme/repo/actions/runs/1',
      argocdUrl: 'https://argocd.example.com',
      grafanaUrl: 'https://grafana.example.com',
    });
    expect(linked).toContain('[Argo CD](https://argocd.example.com/applications?search=pr-42)');
    expect(linked).toContain('(https://grafana.example.com/d/pr-canary-vs-stable?var-track=pr-42)');
  });

  it('links the dashboard by the uid and variable the dashboard really has', () => {
    const dashboard = JSON.parse(
      readRepoFile('manifests/components/grafana-dashboards/canary-vs-stable.json'),
    );
    expect(dashboard.uid).toBe('pr-canary-vs-stable');
    expect(dashboard.templating.list.map((variable: { name: string }) => variable.name)).toContain('track');
  });

  it('refuses links that could break out of the markdown or carry credentials', () => {
    expect(() => safeUrl('javascript:alert(1)', 'api-url')).toThrow(/http/);
    expect(() => safeUrl('https://user:pw@example.com', 'api-url')).toThrow(/credentials/);
    expect(() => safeUrl('https://example.com/a)b', 'api-url')).toThrow(/not allowed/);
    expect(() => renderComment({ ...base, build: ['evil-service'] })).toThrow(/unknown service/);
  });
});

describe('finding the existing comment', () => {
  const line = (id: number, user: string, body: string) => JSON.stringify({ id, user, body });

  it('picks the bot’s comment that carries the marker', () => {
    const comments = [
      line(1, 'alice', `${COMMENT_MARKER} quoted by a human`),
      line(2, BOT_LOGIN, 'another bot message'),
      line(3, BOT_LOGIN, `${COMMENT_MARKER}\n### 🐤 Canary`),
    ].join('\n');
    expect(findCommentId(comments)).toBe('3');
  });

  it('finds nothing on a PR without one, so the workflow creates it', () => {
    expect(findCommentId(`${line(1, 'alice', 'LGTM')}\n`)).toBeUndefined();
    expect(findCommentId('')).toBeUndefined();
  });
});

describe('canary-comment.mjs command line', () => {
  /** `canary-comment.mjs render` for PR 7 at SHA by owner acme, plus the given flags. */
  const renderArgs = (...flags: string[]) => [
    repoPath('.github/scripts/canary-comment.mjs'),
    'render',
    ...['--pr', '7', '--sha', SHA, '--owner', 'acme'],
    ...flags,
  ];

  it('renders the body the workflow posts', () => {
    const result = run('node', renderArgs('--build', '["api-service","store-service"]', '--probe', 'passed'));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('| api-service | `pr-7` | `ghcr.io/acme/api-service:pr-7-abcdef01` |');
  });

  it('prints the comment id read from gh’s NDJSON on stdin', () => {
    const input = `${JSON.stringify({ id: 99, user: BOT_LOGIN, body: `${COMMENT_MARKER}\nx` })}\n`;
    const result = run('node', [repoPath('.github/scripts/canary-comment.mjs'), 'find-id'], { input });
    expect(result).toMatchObject({ status: 0, stdout: '99\n' });
  });

  it('posts the comment without the "not checked" line when the probe result cannot be read', () => {
    const result = run('node', renderArgs('--probe', 'passed', '--probe-result', repoPath('package.json')));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('**Probe:** ✅');
    expect(result.stdout).not.toContain('not checked');
    expect(result.stderr).toContain('no "not checked" line');
  });

  it('rejects an unknown probe outcome', () => {
    const result = run('node', renderArgs('--probe', 'maybe'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--probe must be passed, failed or skipped');
  });
});
