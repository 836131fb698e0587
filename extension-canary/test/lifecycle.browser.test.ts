import { newProfileDir } from '@pr-canary/test-support/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  badgeText,
  browsePage,
  copyExtension,
  type ExtensionBrowser,
  type ExtensionCopy,
  launchWithExtension,
  openPopup,
  turnOn,
} from './browser/browser';
import { startTestServer, type TestServer } from './browser/server';

// 0.001 h = 3.6 s: short enough to watch the expiry happen (Chrome lets unpacked extensions' alarms
// fire sooner than the 30 s minimum that applies to installed ones).
const SHORT_EXPIRY_HOURS = '0.001';

let server: TestServer;
let origin: string;
let extension: ExtensionCopy;
let profile: { dir: string; remove(): Promise<void> };
let browser: ExtensionBrowser;

beforeAll(async () => {
  server = await startTestServer();
  origin = server.origin('127.0.0.1');
  extension = await copyExtension([origin]);
  profile = await newProfileDir();
  browser = await launchWithExtension(extension.dir, profile.dir);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), extension?.remove(), profile?.remove()]);
});

async function canaryOnPage(): Promise<string | undefined> {
  server.requests.length = 0;
  const page = await browser.context.newPage();
  await browsePage(page, origin);
  await page.close();
  const fetched = server.requests.find((request) => request.path === '/data/fetch');
  if (!fetched) throw new Error('the page did not fetch /data/fetch');
  return fetched.canary;
}

async function restartBrowser(): Promise<void> {
  await browser.close();
  browser = await launchWithExtension(extension.dir, profile.dir);
}

describe('expiry and restarts', () => {
  it('turns itself off at expiry: header gone, badge cleared, popup says expired', async () => {
    const popup = await openPopup(browser);
    await popup.locator('#origin-input').fill(origin);
    await popup.locator('#add-origin').click();
    await expect.poll(() => popup.locator('#origins li').count()).toBe(1);
    await turnOn(popup, '5', SHORT_EXPIRY_HOURS);
    expect(await badgeText(browser)).toBe('5');
    expect(await canaryOnPage()).toBe('5');

    await expect
      .poll(() => popup.locator('#status').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('expired');
    expect(await popup.locator('#status').textContent()).toContain('expired at');
    expect(await badgeText(browser)).toBe('');
    expect(await browser.worker.evaluate(() => chrome.declarativeNetRequest.getSessionRules())).toEqual([]);
    expect(await canaryOnPage()).toBeUndefined();
    await popup.close();
  });

  it('keeps PR, origins and on/off across a browser restart', async () => {
    const popup = await openPopup(browser);
    await turnOn(popup, '7', '8');
    await popup.close();

    await restartBrowser();
    await expect.poll(() => badgeText(browser)).toBe('7');
    expect(await canaryOnPage()).toBe('7');
    // Re-derived from the stored state at start, as session rules (the origin's http:// and ws://):
    // nothing was kept on disk.
    const rules = await browser.worker.evaluate(() => chrome.declarativeNetRequest.getSessionRules());
    expect(rules.map((rule) => rule.condition.urlFilter)).toEqual([
      `|${origin}/`,
      `|${origin.replace(/^http:/, 'ws:')}/`,
    ]);
    expect(await browser.worker.evaluate(() => chrome.declarativeNetRequest.getDynamicRules())).toEqual([]);
    const reopened = await openPopup(browser);
    expect(await reopened.locator('#status').getAttribute('data-state')).toBe('on');
    expect(await reopened.locator('#pr').inputValue()).toBe('7');
    expect(await reopened.locator('#origins .origin-value').inputValue()).toBe(origin);
    await reopened.close();
  });

  it('stays off after a restart when the expiry passed while the browser was closed', async () => {
    const popup = await openPopup(browser);
    await turnOn(popup, '8', SHORT_EXPIRY_HOURS);
    const expiresAt = await browser.worker.evaluate(
      async () => ((await chrome.storage.local.get('state')).state as { expiresAt: number }).expiresAt,
    );
    await browser.close();
    await expect.poll(() => Date.now() > expiresAt + 500, { timeout: 10_000, interval: 250 }).toBe(true);

    browser = await launchWithExtension(extension.dir, profile.dir);
    // Nothing on disk to inject from, and the worker re-creates no rule for an expired canary.
    const rulesAfterStart = await browser.worker.evaluate(async () => [
      ...(await chrome.declarativeNetRequest.getDynamicRules()),
      ...(await chrome.declarativeNetRequest.getSessionRules()),
    ]);
    expect(rulesAfterStart).toEqual([]);
    expect(await badgeText(browser)).toBe('');
    expect(await canaryOnPage()).toBeUndefined();
    const reopened = await openPopup(browser);
    expect(await reopened.locator('#status').getAttribute('data-state')).toBe('expired');
    await reopened.close();
  });
});
