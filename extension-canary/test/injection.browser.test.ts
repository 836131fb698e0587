import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  badgeText,
  browsePage,
  type ExtensionBrowser,
  type ExtensionRig,
  type FourOrigins,
  openPopup,
  reattachWorker,
  startFourOriginRig,
  stopServiceWorker,
  turnOff,
} from './browser/browser';
import type { RecordedRequest, TestServer } from './browser/server';

// Two servers, four origins: A and the page origin W are chosen later; B differs from A only by port,
// C only by host name (same server as A). All four are granted, so only the extension's rules decide.
let serverOne: TestServer;
let serverTwo: TestServer;
let originA: string;
let originBOtherPort: string;
let originCOtherHost: string;
let originW: string;
let browser: ExtensionBrowser;
let page: Page;
let rig: ExtensionRig & { origins: FourOrigins };

beforeAll(async () => {
  rig = await startFourOriginRig();
  ({ one: serverOne, two: serverTwo, browser, page } = rig);
  ({ api: originA, otherPort: originBOtherPort, otherHost: originCOtherHost, page: originW } = rig.origins);
});

afterAll(() => rig?.close());

const clearRecords = () => rig.clearRecords();
const recorded = (origin: string): RecordedRequest[] => rig.recorded(new URL(origin).host);
const withKey = (requests: RecordedRequest[]) => requests.filter((request) => request.canary !== undefined);

/** Browses `origin` afresh and expects that no request there carried X-Canary. */
async function expectNoKeyOn(origin: string): Promise<void> {
  clearRecords();
  await browsePage(page, origin);
  expect(withKey(recorded(origin))).toEqual([]);
}

function canaryByPath(origin: string): Record<string, string | undefined> {
  return Object.fromEntries(recorded(origin).map((request) => [request.path, request.canary]));
}

async function typeInto(popup: Page, selector: string, text: string): Promise<void> {
  await popup.locator(selector).fill('');
  await popup.locator(selector).pressSequentially(text);
}

describe('X-Canary injection in Chromium', () => {
  it('sends X-Canary nowhere while unconfigured', async () => {
    clearRecords();
    for (const origin of [originA, originBOtherPort, originCOtherHost, originW])
      await browsePage(page, origin);
    const all = [...serverOne.requests, ...serverTwo.requests];
    expect(all.length).toBeGreaterThanOrEqual(16);
    expect(withKey(all)).toEqual([]);
    expect(await badgeText(browser)).toBe('');
  });

  it('refuses invalid PR numbers and expiries in the popup with a message and stays off', async () => {
    const popup = await openPopup(browser, page);
    await typeInto(popup, '#origin-input', originA);
    await popup.locator('#add-origin').click();
    await expect.poll(() => popup.locator('#origins .origin-value').count()).toBe(1);
    // Each row's buttons say which origin they act on.
    expect(await popup.getByRole('button', { name: `Save ${originA}`, exact: true }).count()).toBe(1);
    expect(await popup.getByRole('button', { name: `Remove ${originA}`, exact: true }).count()).toBe(1);

    for (const [input, text] of [
      ['12a', 'digits only'],
      ['0123', 'must not start with 0'],
      ['1234567890', 'at most 9 digits'],
      ['', 'the canary key is empty'],
    ] as const) {
      await typeInto(popup, '#pr', input);
      await popup.locator('#turn-on').click();
      await expect.poll(() => popup.locator('#message').textContent()).toContain(text);
      expect(await popup.locator('#status').getAttribute('data-state')).toBe('off');
      // As in the web UI: the field is marked invalid, tied to the message, and has the focus.
      expect(await popup.locator('#pr').getAttribute('aria-invalid')).toBe('true');
      expect(await popup.locator('#pr').getAttribute('aria-describedby')).toBe('message');
      expect(await popup.evaluate(() => document.activeElement?.id)).toBe('pr');
      await popup.locator('#turn-on').focus();
    }
    // A valid PR with an expiry the worker refuses: said by the popup, whatever was said before.
    await typeInto(popup, '#pr', '12a');
    await popup.locator('#turn-on').click();
    await expect.poll(() => popup.locator('#message').textContent()).toContain('digits only');
    await typeInto(popup, '#pr', '42');
    for (const hours of ['-1', '0', '169', '']) {
      await typeInto(popup, '#expiry-hours', hours);
      await popup.locator('#turn-on').click();
      await expect
        .poll(() => popup.locator('#message').textContent())
        .toBe('Expiry must be more than 0 and at most 168 hours');
      expect(await popup.locator('#status').getAttribute('data-state')).toBe('off');
      expect(await popup.locator('#pr').getAttribute('aria-invalid')).toBeNull();
      expect(await popup.locator('#expiry-hours').getAttribute('aria-invalid')).toBe('true');
      expect(await popup.evaluate(() => document.activeElement?.id)).toBe('expiry-hours');
    }
    await typeInto(popup, '#expiry-hours', '8');
    expect(await badgeText(browser)).toBe('');
    await expectNoKeyOn(originA);
    await popup.close();
  });

  it('with PR 123 on origin A, sends it on navigations, subframes, fetch and XHR to A and nowhere else', async () => {
    const popup = await openPopup(browser, page);
    await typeInto(popup, '#pr', '123');
    await popup.locator('#turn-on').click();
    await expect.poll(() => popup.locator('#status').getAttribute('data-state')).toBe('on');
    expect(await popup.locator('#status').textContent()).toContain('X-Canary 123 to 1 origin');
    expect(await popup.locator('#message').isHidden()).toBe(true);
    expect(await badgeText(browser)).toBe('123');
    // The popup links to the picture of this PR's verdict (and route) in the local web UI.
    expect(await popup.locator('#verdict-link').getAttribute('href')).toBe(
      'http://localhost:5173/?pr=123#verdict',
    );
    // This tab is not the web UI, and none was added: the link says it assumes npm start's default.
    expect(await popup.locator('#verdict-link').textContent()).toBe(
      "PR 123's verdict and route in the local web UI (assumes its default port, 5173)",
    );
    expect(await popup.locator('#pr').getAttribute('aria-invalid')).toBeNull();
    expect(await popup.locator('#verdict-link-box').isVisible()).toBe(true);
    await popup.close();

    clearRecords();
    await browsePage(page, originA);
    expect(canaryByPath(originA)).toMatchObject({
      '/page': '123',
      '/frame': '123',
      '/data/fetch': '123',
      '/data/xhr': '123',
    });
    for (const other of [originBOtherPort, originCOtherHost]) {
      await browsePage(page, other);
      expect(recorded(other).length).toBeGreaterThanOrEqual(4);
      expect(withKey(recorded(other))).toEqual([]);
    }
  });

  it('does not send it from A to another origin (cross-origin fetch to B)', async () => {
    await page.goto(`${originA}/page`);
    clearRecords();
    const status = await page.evaluate(
      async (url) => (await fetch(url)).status,
      `${originBOtherPort}/data/cross`,
    );
    expect(status).toBe(200);
    expect(recorded(originBOtherPort)).toEqual([
      { host: new URL(originBOtherPort).host, method: 'GET', path: '/data/cross', canary: undefined },
    ]);
  });

  it('lets a page on W call the API on A cross-origin, through a CORS preflight, with the header', async () => {
    await page.goto(`${originW}/page`);
    const popup = await openPopup(browser, page);
    // Chrome only modifies a request when the extension may access its initiator too, so the page's
    // own origin is added as well: with the one-click button (this page has called no API yet).
    await expect.poll(() => popup.locator('#add-current').textContent()).toBe('Add this page');
    expect(await popup.locator('#add-current-origins').textContent()).toBe(`${originW} (this page)`);
    await popup.locator('#add-current').click();
    await expect.poll(() => popup.locator('#origins .origin-value').count()).toBe(2);
    await popup.close();

    clearRecords();
    const result = await page.evaluate(async (url) => {
      const response = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-test': '1' },
        body: '{}',
      });
      return { status: response.status, servedBy: response.headers.get('x-served-by') };
    }, `${originA}/data/cross`);
    expect(result.status).toBe(200);
    expect(result.servedBy).toContain('track="pr-123"');
    const toA = recorded(originA);
    // Chrome applies the rule to the preflight too, so with the extension a preflight reaches the canary.
    expect(toA.map((request) => [request.method, request.canary])).toEqual([
      ['OPTIONS', '123'],
      ['PUT', '123'],
    ]);
  });

  it('shows the X-Served-By chain seen in this tab and checks /api/route hop by hop', async () => {
    await browsePage(page, originA);
    const popup = await openPopup(browser, page);
    await expect.poll(() => popup.locator('#served-by-summary').textContent()).toContain(`from ${originA}`);
    const hops = popup.locator('#served-by-hops li');
    expect(await hops.allTextContents()).toEqual([
      'api-service: pr-123 0.4.0 — on PR 123',
      'store-service: stable 0.4.0 — not on PR 123',
    ]);
    expect(await hops.evaluateAll((items) => items.map((item) => item.className))).toEqual([
      'canary',
      'stable off-pr',
    ]);

    await popup.locator('#check-origin').selectOption(originA);
    await popup.locator('#check').click();
    await expect.poll(() => popup.locator('#check-summary').textContent()).toBe('1 of 2 hop(s) on PR 123');
    expect(await popup.locator('#check-hops li').allTextContents()).toEqual([
      'api-service: pr-123 0.4.0 — on PR 123',
      'store-service: stable 0.4.0 — not on PR 123',
    ]);

    // Turned off, no key is sent: the hops are listed, not judged against PR 123.
    await popup.locator('#turn-off').click();
    await expect.poll(() => popup.locator('#status').getAttribute('data-state')).toBe('off');
    await expect
      .poll(() => hops.allTextContents())
      .toEqual(['api-service: pr-123 0.4.0', 'store-service: stable 0.4.0']);
    await popup.locator('#turn-on').click();
    await expect.poll(() => popup.locator('#status').getAttribute('data-state')).toBe('on');
    await popup.close();
  });

  it('records the chain even when the request is what wakes the stopped service worker', async () => {
    await stopServiceWorker(browser, page);
    const freshTab = await browser.context.newPage();
    await browsePage(freshTab, originA);
    await reattachWorker(browser);
    // The chain is stored per tab, so anything shown for this new tab came from the woken worker.
    const popup = await openPopup(browser, freshTab);
    await expect.poll(() => popup.locator('#served-by-summary').textContent()).toContain(`from ${originA}`);
    expect(await popup.locator('#served-by-hops li').count()).toBe(2);
    await popup.close();
    await freshTab.close();
  });

  it('edits and removes origins: the header follows the list', async () => {
    const popup = await openPopup(browser, page);
    const rowA = popup.locator(`#origins li[data-origin="${originA}"]`);
    await rowA.locator('.origin-value').fill(originBOtherPort);
    await rowA.locator('.save-origin').click();
    // The rows are rebuilt from the worker's answer, so their data-origin is the saved list.
    const savedOrigins = () =>
      popup
        .locator('#origins li')
        .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.origin));
    await expect.poll(savedOrigins).toEqual([originBOtherPort, originW]);

    clearRecords();
    await browsePage(page, originA);
    await browsePage(page, originBOtherPort);
    expect(withKey(recorded(originA))).toEqual([]);
    expect(canaryByPath(originBOtherPort)['/data/fetch']).toBe('123');

    await popup.locator(`#origins li[data-origin="${originBOtherPort}"] .remove-origin`).click();
    await expect.poll(() => popup.locator('#origins li').count()).toBe(1);
    await expectNoKeyOn(originBOtherPort);
    await popup.close();
  });

  it('turning off removes the header everywhere and clears the badge', async () => {
    const popup = await openPopup(browser, page);
    await turnOff(popup);
    expect(await badgeText(browser)).toBe('');
    expect(await browser.worker.evaluate(() => chrome.declarativeNetRequest.getSessionRules())).toEqual([]);
    await popup.close();

    await expectNoKeyOn(originW);
  });
});
