import { type Stack, startStack } from '@pr-canary/localdev';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyExtension,
  type ExtensionBrowser,
  type ExtensionCopy,
  launchWithExtension,
  newProfileDir,
  openPopup,
} from './browser/browser';

// The real local stack (localdev's startStack: dev router, stable api/store, PR 42 api+store canaries,
// PR 7 store canary, dynalite in memory, ephemeral ports) browsed through the extension.
let stack: Stack;
let origin: string;
let extension: ExtensionCopy;
let profile: { dir: string; remove(): Promise<void> };
let browser: ExtensionBrowser;
let page: Page;

beforeAll(async () => {
  // Six processes starting on two busy cores: give them more than the default 60 s.
  stack = await startStack({ web: false, readyTimeoutMs: 150_000 });
  origin = new URL(stack.urls.api).origin;
  extension = await copyExtension([origin]);
  profile = await newProfileDir();
  browser = await launchWithExtension(extension.dir, profile.dir);
  page = await browser.context.newPage();
}, 200_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await Promise.all([extension?.remove(), profile?.remove()]);
}, 60_000);

async function routeTracksInPage(): Promise<string[]> {
  await page.goto(`${origin}/api/route`);
  const report = JSON.parse((await page.locator('body').textContent()) ?? '') as {
    hops: { track: string }[];
  };
  return report.hops.map((hop) => hop.track);
}

async function setPr(popup: Page, pr: string): Promise<void> {
  await popup.locator('#pr').fill(pr);
  await popup.locator('#turn-on').click();
  await expect.poll(() => popup.locator('#status').textContent()).toContain(`X-Canary ${pr} `);
}

async function checkInPopup(popup: Page): Promise<{ summary: string | null; hops: string[] }> {
  await popup.locator('#check').click();
  await expect.poll(() => popup.locator('#check-summary').textContent()).toMatch(/hop\(s\) on PR/);
  return {
    summary: await popup.locator('#check-summary').textContent(),
    hops: await popup.locator('#check-hops li').allTextContents(),
  };
}

describe('against the local stack (npm start)', () => {
  it('is served by stable everywhere while the extension is off', async () => {
    expect(await routeTracksInPage()).toEqual(['stable', 'stable']);
  });

  it('PR 42 reaches the api and store canaries; the popup shows and checks the chain', async () => {
    const popup = await openPopup(browser, page);
    await popup.locator('#origin-input').fill(origin);
    await popup.locator('#add-origin').click();
    await expect.poll(() => popup.locator('#origins li').count()).toBe(1);
    await setPr(popup, '42');
    await popup.close();

    expect(await routeTracksInPage()).toEqual(['pr-42', 'pr-42']);
    const reopened = await openPopup(browser, page);
    await expect
      .poll(() => reopened.locator('#served-by-hops li').allTextContents())
      .toEqual([
        expect.stringMatching(/^api-service: pr-42 \S+ — on PR 42$/),
        expect.stringMatching(/^store-service: pr-42 \S+ — on PR 42$/),
      ]);
    const checked = await checkInPopup(reopened);
    expect(checked.summary).toBe('2 of 2 hop(s) on PR 42');
    await reopened.close();
  });

  it('PR 7 goes through the stable api to the PR 7 store canary', async () => {
    const popup = await openPopup(browser, page);
    await setPr(popup, '7');
    const checked = await checkInPopup(popup);
    expect(checked.summary).toBe('1 of 2 hop(s) on PR 7');
    expect(checked.hops).toEqual([
      expect.stringMatching(/^api-service: stable \S+ — not on PR 7$/),
      expect.stringMatching(/^store-service: pr-7 \S+ — on PR 7$/),
    ]);
    await popup.close();
    expect(await routeTracksInPage()).toEqual(['stable', 'pr-7']);
  });
});
