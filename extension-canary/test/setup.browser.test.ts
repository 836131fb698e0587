import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPageAndItsApi,
  browsePage,
  chosenOrigins,
  type ExtensionBrowser,
  type ExtensionRig,
  openPopup,
  startExtensionRig,
  tabBadge,
  turnOff,
  turnOn,
} from './browser/browser';
import type { TestServer } from './browser/server';

// Setting it up the way testers do: one click for "this page and the API it calls", a host typed
// without a scheme, a wildcard for a whole domain; and seeing whether the API got the key PR Canary set.
// The API is server one on 127.0.0.1, the page (web UI stand-in) server two on localhost, as `npm start`
// serves them; `*.localhost` names reach server one too (Chromium resolves them to loopback).
let api: TestServer;
let web: TestServer;
let apiOrigin: string;
let pageOrigin: string;
let wildcard: string;
let browser: ExtensionBrowser;
let page: Page;
let rig: ExtensionRig;

beforeAll(async () => {
  rig = await startExtensionRig((one, two) => {
    api = one;
    web = two;
    apiOrigin = api.origin('127.0.0.1');
    pageOrigin = web.origin('localhost');
    wildcard = `http://*.localhost:${api.port}`;
    return [apiOrigin, pageOrigin, wildcard];
  });
  ({ browser, page } = rig);
});

afterAll(() => rig?.close());

/** Opens the app page, which fetches `${apiOrigin}/data/app` as it loads (with `init`, if given). */
async function openApp(init?: { canaryHeader: string }): Promise<void> {
  await page.goto(`${pageOrigin}/app?api=${encodeURIComponent(apiOrigin)}`);
  await page.waitForFunction(() => document.title.startsWith('loaded'));
  if (init) {
    await page.evaluate(
      async ({ url, key }) => {
        await fetch(url, { headers: { 'x-canary': key } });
      },
      { url: `${apiOrigin}/data/own-key`, key: init.canaryHeader },
    );
  }
}

describe('setting PR Canary up in Chromium', () => {
  it('adds this page and the API it calls in one click, and then confirms the API got the key', async () => {
    await openApp();
    const popup = await openPopup(browser, page);
    await addPageAndItsApi(popup, pageOrigin, apiOrigin);
    expect(await popup.locator('#message').textContent()).toBe(`Added ${pageOrigin} and ${apiOrigin}.`);
    expect(await popup.locator('#add-current-box').isHidden()).toBe(true);
    await turnOn(popup, '5');
    await popup.close();

    rig.clearRecords();
    await openApp();
    // The page's own call to its API carries the key (Chrome requires access to the page's origin too).
    expect(rig.recorded(new URL(apiOrigin).host, '/data/app').map((request) => request.canary)).toEqual([
      '5',
    ]);
    expect(rig.recorded(new URL(pageOrigin).host, '/app').map((request) => request.canary)).toEqual(['5']);
    await expect.poll(() => tabBadge(browser, pageOrigin)).toBe('5✓');

    const reopened = await openPopup(browser, page);
    await expect
      .poll(() => reopened.locator('#key-check').textContent())
      .toBe('The API received X-Canary 5 from PR Canary.');
    expect(await reopened.locator('#key-check').getAttribute('data-level')).toBe('ok');
    await reopened.close();
  });

  it('warns when the page’s requests carry an X-Canary that PR Canary did not set', async () => {
    const popup = await openPopup(browser, page);
    await turnOff(popup);
    await popup.close();

    // The page sets its own key (as the web UI does for the PR picked in it).
    await openApp({ canaryHeader: '9' });
    expect(rig.recorded(new URL(apiOrigin).host, '/data/own-key').at(-1)?.canary).toBe('9');
    await expect.poll(() => tabBadge(browser, pageOrigin)).toBe('!');
    const reopened = await openPopup(browser, page);
    await expect
      .poll(() => reopened.locator('#key-check').textContent())
      .toBe(
        'Requests in this tab carry X-Canary 9, which PR Canary did not set: the page itself, another extension or a proxy sets it.',
      );
    expect(await reopened.locator('#key-check').getAttribute('data-level')).toBe('warning');
    // Removing both origins leaves a clean list for the next test.
    for (const origin of [pageOrigin, apiOrigin]) {
      await reopened.locator(`#origins li[data-origin="${origin}"] .remove-origin`).click();
    }
    await expect.poll(() => reopened.locator('#origins li').count()).toBe(0);
    await reopened.close();
  });

  it('accepts a host typed without a scheme and says which scheme it assumed', async () => {
    const popup = await openPopup(browser, page);
    await popup.locator('#origin-input').fill(`127.0.0.1:${api.port}`);
    await popup.locator('#add-origin').click();
    await expect.poll(() => chosenOrigins(popup)).toEqual([apiOrigin]);
    expect(await popup.locator('#message').textContent()).toBe(
      `Added ${apiOrigin} (no scheme was given, so http:// was assumed).`,
    );
    expect(await popup.locator('#message').getAttribute('data-level')).toBe('info');
    // Adding it again, typed either way, changes nothing and says so.
    for (const input of [apiOrigin, `127.0.0.1:${api.port}`]) {
      await popup.locator('#message').evaluate((message) => {
        message.textContent = '';
      });
      await popup.locator('#origin-input').fill(input);
      await popup.locator('#add-origin').click();
      await expect
        .poll(() => popup.locator('#message').textContent())
        .toBe(`${apiOrigin} is already in the list`);
      expect(await chosenOrigins(popup)).toEqual([apiOrigin]);
    }
    await popup.locator(`#origins li[data-origin="${apiOrigin}"] .remove-origin`).click();
    await expect.poll(() => popup.locator('#origins li').count()).toBe(0);
    await popup.close();
  });

  it('sends the key to every subdomain of a wildcard origin, on its port only', async () => {
    const popup = await openPopup(browser, page);
    await popup.locator('#origin-input').fill(wildcard);
    await popup.locator('#add-origin').click();
    await expect.poll(() => chosenOrigins(popup)).toEqual([wildcard]);
    expect(await popup.locator('#message').textContent()).toBe(
      `Added ${wildcard}: localhost and every subdomain, port ${api.port} only.`,
    );
    await turnOn(popup, '77');
    await popup.close();

    rig.clearRecords();
    const app = `http://app.localhost:${api.port}`;
    const deep = `http://a.b.localhost:${api.port}`;
    await browsePage(page, app);
    await browsePage(page, deep);
    for (const host of [new URL(app).host, new URL(deep).host]) {
      expect(Object.fromEntries(rig.recorded(host).map((r) => [r.path, r.canary]))).toMatchObject({
        '/page': '77',
        '/frame': '77',
        '/data/fetch': '77',
        '/data/xhr': '77',
      });
    }
    // Another port on the same names, and a name outside the domain, get nothing.
    for (const other of [`http://app.localhost:${web.port}`, apiOrigin]) {
      await browsePage(page, other);
      const host = new URL(other).host;
      expect(rig.recorded(host).length).toBeGreaterThanOrEqual(4);
      expect(rig.recorded(host).filter((request) => request.canary !== undefined)).toEqual([]);
    }

    // The last response came from a wildcard's subdomain: the check can ask that origin.
    await browsePage(page, app);
    const checking = await openPopup(browser, page);
    await expect.poll(() => checking.locator('#served-by-summary').textContent()).toContain(`from ${app}`);
    await checking.locator('#check-origin').selectOption(app);
    await checking.locator('#check').click();
    await expect.poll(() => checking.locator('#check-summary').textContent()).toBe('1 of 2 hop(s) on PR 77');
    await checking.close();
  });
});
