import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { consoleErrors, useBrowserSuite } from './browser-helper';

/**
 * The route inspector's waterfall in Chromium, against the real stack and its trace receiver. Each
 * describe has its own stack (the second stops a canary), started and stopped around it.
 */

interface ShownSpan {
  service: string | undefined;
  kind: string | undefined;
  spanKind: string | undefined;
  status: string | undefined;
  text: string;
}

function shownSpans(page: Page): Promise<ShownSpan[]> {
  return page.$$eval('#trace-spans .span-row', (rows) =>
    rows.map((row) => ({
      service: (row as HTMLElement).dataset.service,
      kind: (row as HTMLElement).dataset.kind,
      spanKind: (row as HTMLElement).dataset.spanKind,
      status: (row as HTMLElement).dataset.status,
      text: row.textContent ?? '',
    })),
  );
}

/** The bar's geometry as laid out, relative to its lane: [left, width] in percent. */
function barGeometry(page: Page): Promise<[number, number][]> {
  return page.$$eval('#trace-spans .span-row', (rows) =>
    rows.map((row) => {
      const lane = row.querySelector('.span-lane')?.getBoundingClientRect();
      const bar = row.querySelector('.span-bar')?.getBoundingClientRect();
      if (!lane || !bar) return [-1, -1] as [number, number];
      return [((bar.left - lane.left) / lane.width) * 100, (bar.width / lane.width) * 100] as [
        number,
        number,
      ];
    }),
  );
}

describe('waterfall of the last request', () => {
  const suite = useBrowserSuite();

  it('draws one bar per span for PR 42: service, track, version, duration, canary key, parents first', async () => {
    const page = await suite.openPage('/?pr=42');
    await expect.poll(() => shownSpans(page), { timeout: 20_000 }).toHaveLength(4);
    // The trace was waited for, not polled into 404s (each one a console error).
    expect(consoleErrors(page)).toEqual([]);
    const spans = await shownSpans(page);
    expect(spans.map((span) => [span.service, span.spanKind, span.kind])).toEqual([
      ['api-service', 'server', 'canary'],
      ['api-service', 'client', 'canary'],
      ['store-service', 'server', 'canary'],
      ['store-service', 'client', 'canary'],
    ]);
    expect(spans[0]?.text).toMatch(
      /GET \/api\/items.*canary pr-42.*v0\.1\.0-pr42.*ms, from \+0 µs.*canary\.key=42/,
    );
    expect(spans[3]?.text).toMatch(/DynamoDB\.Query/);
    expect(await page.textContent('#trace-status')).toMatch(/^Trace [0-9a-f]{32} · 4 spans · /);
    // Bars are drawn to scale: the root spans the lane, every child starts inside it.
    const bars = await barGeometry(page);
    expect(bars[0]?.[0]).toBeCloseTo(0, 0);
    expect(bars[0]?.[1]).toBeGreaterThan(99);
    for (const [left, width] of bars.slice(1)) {
      expect(left).toBeGreaterThanOrEqual(0);
      expect(left + width).toBeLessThanOrEqual(100.5);
    }
  });

  it('links each served-by hop to its span', async () => {
    const page = await suite.openPage('/?pr=7');
    const storeLink = page.locator('#hops .hop[data-service="store-service"] .hop-trace');
    await storeLink.waitFor({ timeout: 20_000 });
    await storeLink.click();
    const target = await page.$eval(':target', (row) => ({
      service: (row as HTMLElement).dataset.service,
      spanKind: (row as HTMLElement).dataset.spanKind,
      text: row.textContent ?? '',
    }));
    expect(target).toMatchObject({ service: 'store-service', spanKind: 'server' });
    expect(target.text).toContain('canary pr-7');
    expect(
      await page.locator('#hops .hop[data-service="api-service"] .hop-trace').getAttribute('href'),
    ).toMatch(/^#span-[0-9a-f]{16}$/);
  });

  it('opens a trace named in ?trace= (the link the extension popup and the CLI give)', async () => {
    const response = await fetch(`${suite.apiUrl}/api/route`, { headers: { 'x-canary': '42' } });
    const traceId = response.headers.get('x-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const page = await suite.openPage(`/?trace=${traceId}`);
    await expect
      .poll(() => page.textContent('#trace-status'), { timeout: 20_000 })
      .toContain(`Trace ${traceId} · 3 spans`);
    expect((await shownSpans(page)).map((span) => span.text.split('canary')[0])).toEqual([
      expect.stringContaining('GET /api/route'),
      expect.stringContaining('grpc.health.v1.Health/Check'),
      expect.stringContaining('grpc.health.v1.Health/Check'),
    ]);
    // The hops above are the page's own first request (GET /api/items), not this trace's: the waterfall
    // says whose trace it shows, and the hops do not link into a trace they are not part of.
    // (That request may still be on its way when the linked trace is drawn: wait for it.)
    await expect.poll(() => page.textContent('#route-request')).toContain('GET /api/items');
    expect(await page.textContent('#trace-heading')).toBe('Waterfall of the linked trace');
    const intro = await page.textContent('#trace-intro');
    expect(intro).toBe(
      `Trace ${traceId}, opened from a link: not a request of this page. The hops above are this page's last request, not this trace's.`,
    );
    expect(await page.locator('#hops .hop-trace').count()).toBe(0);

    // Back to the last request's waterfall: its own trace, the hops linked to its spans.
    await page.click('#trace-show-last');
    await expect.poll(() => shownSpans(page), { timeout: 20_000 }).toHaveLength(4);
    expect((await shownSpans(page))[0]?.text).toContain('GET /api/items');
    expect(await page.textContent('#trace-heading')).toBe('Waterfall');
    expect(await page.textContent('#trace-intro')).toContain("Every span of the last request's trace");
    expect(await page.isHidden('#trace-show-last')).toBe(true);
    await page.locator('#hops .hop[data-service="store-service"] .hop-trace').waitFor({ timeout: 20_000 });
  });

  it('says a linked trace the receiver does not have is not there, without blaming tracing', async () => {
    const unknown = '0123456789abcdef0123456789abcdef';
    const page = await suite.openPage(`/?trace=${unknown}`);
    await expect
      .poll(() => page.textContent('#trace-status'), { timeout: 20_000 })
      .toBe(
        `Trace ${unknown} is not in the trace receiver: it keeps only the most recent traces, so this one is older than that (or from before the stack restarted), or it comes from another stack.`,
      );
    expect(await page.textContent('#trace-heading')).toBe('Waterfall of the linked trace');
  });
});

describe('waterfall of a failing request', () => {
  const failing = useBrowserSuite({
    onStackStarted: (stack) => stack.kill('store-service', 'pr-7'),
  });

  it('marks the failed hops and says where the error came from', async () => {
    const page = await failing.openPage('/?pr=7');
    await expect.poll(() => shownSpans(page), { timeout: 20_000 }).toHaveLength(2);
    const [server, client] = await shownSpans(page);
    expect(server).toMatchObject({ service: 'api-service', status: 'error' });
    expect(server?.text).toContain('✗ error: HTTP 503');
    expect(client).toMatchObject({ service: 'api-service', spanKind: 'client', status: 'error' });
    expect(client?.text).toMatch(
      /✗ error: UNAVAILABLE: PR 7's store-service canary is declared but not running/,
    );
    expect(await page.textContent('#trace-status')).toMatch(/2 errors\./);
  });
});
