import { runCanaryCommand, type Stack } from '@pr-canary/localdev';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowserSuite } from './browser-helper';

/**
 * "Break PR 42, watch the verdict, fix it" in Chromium against the real stack: PR 42's store answers
 * 30 % errors (set through the stack's control endpoint, as `pr-canary fault` does), `pr-canary analyze`
 * judges it, and the page — polling the stack for the chosen PR's latest verdict — draws it: FAIL, the
 * store hop marked as where the failure starts, error bars for both tracks. Fixed and judged again,
 * the same page turns to PASS without a reload.
 */
let stack: Stack | undefined;
const suite = useBrowserSuite({
  onStackStarted: async (started) => {
    stack = started;
  },
});

async function setStoreFaults(spec: string): Promise<void> {
  const response = await fetch(`${stack?.urls.control}/faults/pr-42/store-service`, {
    method: 'PUT',
    body: spec,
  });
  expect(response.status).toBe(200);
}

async function analyze(): Promise<number> {
  const out = { stdout: () => {}, stderr: (text: string) => void process.stderr.write(text) };
  // The verdict's statistics are proven in localdev's test/analyze; here the latency noise of a
  // loaded machine must not turn the picture into "cannot tell", so only errors decide.
  const args = ['analyze', '--pr', '42', '--control', stack?.urls.control ?? '', '--requests', '130'];
  return runCanaryCommand([...args, '--max-p50-increase', '500', '--max-p99-increase', '2000'], out);
}

function badge(page: Page): Promise<string | null> {
  return page.textContent('#pr-verdict-summary .pr-verdict-badge');
}

describe('the PR verdict in the web UI (Chromium, real stack)', () => {
  let page: Page;

  it('draws a failing PR and where its failure starts', async () => {
    page = await suite.openPage(`/?pr=42&stack=${encodeURIComponent(stack?.urls.control ?? '')}#verdict`);
    await expect.poll(() => page.textContent('#pr-verdict-summary')).toContain('No verdict for PR 42 yet');
    // The stack's control endpoint is not the CLI's default port: the command says which one to use.
    expect(await page.textContent('#pr-verdict-summary')).toContain(
      `Run npx pr-canary analyze --pr 42 --control ${stack?.urls.control}`,
    );

    await setStoreFaults('error-rate=0.3');
    expect(await analyze()).toBe(1);
    await expect.poll(() => badge(page), { timeout: 10_000 }).toBe('Fail');
    expect(await page.textContent('#pr-verdict-summary')).toContain(
      'PR 42 is worse than stable, starting at store-service',
    );
    const store = page.locator('#pr-verdict-hops li[data-hop="store-service"]');
    expect(await store.getAttribute('data-outcome')).toBe('fail');
    expect(await store.textContent()).toContain('failure starts here');
    // Paired bars: stable (blue) and the PR (amber), the PR's error bar visibly longer, values written out.
    const errorBars = store.locator('[data-metric="errors"] .pr-verdict-bar');
    const [stableWidth, prWidth] = await errorBars.evaluateAll((bars) =>
      bars.map((bar) => bar.getBoundingClientRect().width),
    );
    expect(prWidth).toBeGreaterThan((stableWidth ?? 0) + 20);
    expect(await store.locator('[data-metric="errors"] .pr-verdict-value').allTextContents()).toEqual([
      '0.0 %',
      expect.stringMatching(/^[1-9]\d\.\d %$/),
    ]);
    expect(await page.locator('#pr-verdict-hops li[data-hop="edge"]').getAttribute('data-outcome')).toBe(
      'fail',
    );

    // The hop cards fit the narrowest phone: nothing sticks out sideways at 320 px.
    await page.setViewportSize({ width: 320, height: 700 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    const cardRight = await store.evaluate((card) => card.getBoundingClientRect().right);
    expect(cardRight).toBeLessThanOrEqual(320);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('turns the same page to pass once the PR is fixed and judged again', async () => {
    await setStoreFaults('none');
    expect(await analyze()).toBe(0);
    await expect.poll(() => badge(page), { timeout: 10_000 }).toBe('Pass');
    expect(await page.locator('#pr-verdict-hops li[data-outcome="fail"]').count()).toBe(0);
    expect(await page.locator('.pr-verdict-origin').count()).toBe(0);
  });

  it('lands on the verdict section for ?pr=N#verdict, after the items and inspector pushed it down', async () => {
    const page = await suite.openPage(
      `/?pr=42&stack=${encodeURIComponent(stack?.urls.control ?? '')}#verdict`,
      { width: 1280, height: 700 },
    );
    const headingInView = () =>
      page.evaluate(() => {
        const box = document.getElementById('verdict-heading')?.getBoundingClientRect();
        return box !== undefined && box.top >= 0 && box.bottom <= innerHeight;
      });
    await expect.poll(() => page.textContent('#items-status'), { timeout: 15_000 }).toMatch(/on PR 42/);
    await expect.poll(headingInView, { timeout: 10_000 }).toBe(true);
    expect(await page.evaluate(() => scrollY)).toBeGreaterThan(100);
    // The inspector beside the items sticks while they scroll, but never over the verdict below them.
    const overlap = await page.evaluate(() => {
      const a = document.querySelector('.inspector')?.getBoundingClientRect();
      const b = document.getElementById('verdict')?.getBoundingClientRect();
      if (!a || !b) return null;
      return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    });
    expect(overlap).toBe(false);

    // Only once: the user scrolling away afterwards is left alone while the verdict keeps polling.
    await page.evaluate(() => scrollTo(0, 0));
    const verdictPoll = () => page.waitForRequest((request) => request.url().includes('/verdicts'));
    await verdictPoll();
    await verdictPoll();
    expect(await page.evaluate(() => scrollY)).toBe(0);
  });

  it('says why there can be no verdict for a PR the stack runs no canary of, and suggests no analyze', async () => {
    const page = await suite.openPage(
      `/?pr=999&stack=${encodeURIComponent(stack?.urls.control ?? '')}#verdict`,
    );
    await expect
      .poll(() => page.textContent('#pr-verdict-summary'))
      .toContain('This stack runs no canary of PR 999, so there is nothing to compare with stable');
    expect(await page.textContent('#pr-verdict-summary')).not.toContain('pr-canary analyze');
  });

  it('says where verdicts come from when no stack answers', async () => {
    const page = await suite.openPage('/?pr=42&stack=http%3A%2F%2F127.0.0.1%3A9#verdict');
    await expect
      .poll(() => page.textContent('#pr-verdict-summary'))
      .toContain('No local stack control endpoint answers: start one with npm start.');
    expect(await page.textContent('#pr-verdict-summary')).toContain('npx pr-canary analyze --pr 42');
  });
});
