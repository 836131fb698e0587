import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPageAndItsApi,
  chosenOrigins,
  type ExtensionBrowser,
  type ExtensionRig,
  type FourOrigins,
  launchFreshExtension,
  openPopup,
  startFourOriginRig,
  turnOff,
  turnOn,
} from './browser/browser';
import { startTestServer, type TestServer } from './browser/server';

// A page on W opens WebSockets to its API A, as a live-updating UI would (the four origins of
// `startFourOriginRig`: B is A's host on another port, C A's port under another host name; all granted).
// Chrome matches a handshake by its ws:// URL, not the http:// one, so the header only reaches it when
// the extension has a ws:// rule *and* ws:// host access for A.
let rig: ExtensionRig & { origins: FourOrigins };
let browser: ExtensionBrowser;
let page: Page;
let apiOrigin: string;
let pageOrigin: string;

beforeAll(async () => {
  rig = await startFourOriginRig();
  ({ browser, page } = rig);
  ({ api: apiOrigin, page: pageOrigin } = rig.origins);
});

afterAll(() => rig?.close());

/** ws://host:port for an http://host:port origin. */
const wsOf = (origin: string) => origin.replace(/^http:/, 'ws:');

/**
 * From `on` (by default the page on W), opens a WebSocket to `${origin}/ws`, waits until the handshake
 * completed, closes it, and returns the X-Canary the server saw on that handshake (`null` for none).
 */
async function handshakeKey(
  origin: string,
  on: Page = page,
  servers: readonly TestServer[] = [rig.one, rig.two],
): Promise<string | null> {
  for (const server of servers) server.requests.length = 0;
  await on.evaluate(
    (url) =>
      new Promise<void>((resolve, reject) => {
        const socket = new WebSocket(url);
        socket.onopen = () => {
          socket.close();
          resolve();
        };
        socket.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
      }),
    `${wsOf(origin)}/ws`,
  );
  const host = new URL(origin).host;
  const handshakes = servers
    .flatMap((server) => server.requests)
    .filter((request) => request.host === host && request.path === '/ws');
  expect(handshakes).toHaveLength(1);
  return handshakes[0]?.canary ?? null;
}

async function removeOrigin(popup: Page, origin: string): Promise<void> {
  const before = (await chosenOrigins(popup)).length;
  await popup.locator(`#origins li[data-origin="${origin}"] .remove-origin`).click();
  await expect.poll(async () => (await chosenOrigins(popup)).length).toBe(before - 1);
}

describe('X-Canary on WebSocket handshakes in Chromium', () => {
  it('sends nothing on a handshake while no origin is chosen', async () => {
    await page.goto(`${pageOrigin}/app?api=${encodeURIComponent(apiOrigin)}`);
    await page.waitForFunction(() => document.title.startsWith('loaded'));
    expect(await handshakeKey(apiOrigin)).toBeNull();
  });

  it('sends the key on the handshake to a chosen origin, and nowhere else', async () => {
    const popup = await openPopup(browser, page);
    expect(await popup.locator('#origins-hint').textContent()).toContain(
      'WebSockets (ws:// for http, wss:// for https)',
    );
    await addPageAndItsApi(popup, pageOrigin, apiOrigin);
    await turnOn(popup, '77');
    await popup.close();

    expect(await handshakeKey(apiOrigin)).toBe('77');
    // Adding an http:// origin holds its ws:// twin too (what Chrome requires for the handshake).
    const held = await browser.worker.evaluate(
      (origins) => chrome.permissions.contains({ origins }),
      [`${wsOf(apiOrigin)}/*`, `${wsOf(pageOrigin)}/*`],
    );
    expect(held).toBe(true);
    // Chrome lists them as written, which is what giving access back compares against.
    const granted = await browser.worker.evaluate(async () => (await chrome.permissions.getAll()).origins);
    expect(granted).toEqual(expect.arrayContaining([`${wsOf(apiOrigin)}/*`, `${apiOrigin}/*`]));
    expect(await handshakeKey(rig.origins.otherPort)).toBeNull();
    expect(await handshakeKey(rig.origins.otherHost)).toBeNull();
  });

  it('stops when the origin is removed, and starts again when it is added back', async () => {
    const popup = await openPopup(browser, page);
    await removeOrigin(popup, apiOrigin);
    expect(await handshakeKey(apiOrigin)).toBeNull();

    await popup.locator('#origin-input').fill(apiOrigin);
    await popup.locator('#add-origin').click();
    await expect.poll(() => chosenOrigins(popup)).toEqual([pageOrigin, apiOrigin]);
    expect(await handshakeKey(apiOrigin)).toBe('77');
    await popup.close();
  });

  it('stops when the PR is turned off', async () => {
    const popup = await openPopup(browser, page);
    await turnOff(popup);
    await popup.close();
    expect(await handshakeKey(apiOrigin)).toBeNull();
  });
});

// An origin added by a version that asked for http:// access only: its ws:// rule exists, but Chrome
// ignores a rule without host access to the URL, so the handshake gets nothing; the popup says so.
describe('an origin held without WebSocket access', () => {
  let server: TestServer;
  let origin: string;
  let old: ExtensionBrowser;

  beforeAll(async () => {
    server = await startTestServer();
    origin = server.origin('127.0.0.1');
    old = await launchFreshExtension([], { withoutWebSocket: [origin] });
  });

  afterAll(async () => {
    await old?.close();
    await server?.close();
  });

  it('gets no key on its handshakes and is flagged in the popup', async () => {
    await old.worker.evaluate(
      (origins) =>
        chrome.storage.local.set({
          state: { pr: '5', origins, enabled: true, expiryHours: 8, expiresAt: Date.now() + 3_600_000 },
        }),
      [origin],
    );
    const tab = await old.context.newPage();
    await tab.goto(`${origin}/page`);
    // Opening the popup makes the worker apply the stored state.
    const popup = await openPopup(old, tab);
    expect(await popup.locator('#status').getAttribute('data-state')).toBe('on');
    const note = popup.locator(`#origins li[data-origin="${origin}"] .no-access`);
    await expect.poll(() => note.textContent()).toBe('no WebSocket access');
    expect(await note.getAttribute('title')).toContain(`WebSockets to ${wsOf(origin)} get no X-Canary`);
    await popup.close();
    // The ws:// rule is in place: what is missing is the access.
    const filters = await old.worker.evaluate(async () =>
      (await chrome.declarativeNetRequest.getSessionRules()).map((rule) => rule.condition.urlFilter),
    );
    expect(filters).toEqual([`|${origin}/`, `|${wsOf(origin)}/`]);

    server.requests.length = 0;
    await tab.evaluate(() => fetch('/data/fetch'));
    expect(server.requests.map((request) => request.canary)).toEqual(['5']);
    expect(await handshakeKey(origin, tab, [server])).toBeNull();
  });
});
