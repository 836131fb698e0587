/**
 * Real Chromium (test-support's headless Debian `chromium`) with the built extension loaded unpacked,
 * driven by playwright-core. Each test file gets a private copy of build/ and a private profile.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { launchChromiumContext, newProfileDir } from '@pr-canary/test-support/chromium';
import type { BrowserContext, Page, Worker } from 'playwright-core';
import { expect } from 'vitest';
import { permissionPatternsFor } from '../../src/origin';
import { type RecordedRequest, startTestServer, type TestServer } from './server';

export const BUILD_DIR = path.resolve(__dirname, '../../build');

export interface GrantOptions {
  /** Origins granted without their ws(s):// scheme, as a version before WebSocket support asked. */
  withoutWebSocket?: readonly string[];
}

export interface ExtensionCopy {
  dir: string;
  remove(): Promise<void>;
}

/**
 * Copies the built extension. `grantedOrigins` stand in for the tester accepting Chrome's permission
 * prompt (which a headless test cannot click): their patterns (page and WebSocket scheme, what the popup
 * asks for) are added to the copy's `host_permissions`, so `chrome.permissions.request` from the popup
 * resolves to granted without a prompt. Empty = the real build.
 */
export async function copyExtension(
  grantedOrigins: readonly string[] = [],
  options: GrantOptions = {},
): Promise<ExtensionCopy> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pr-canary-ext-'));
  await cp(BUILD_DIR, dir, { recursive: true });
  const pageOnly = options.withoutWebSocket ?? [];
  if (grantedOrigins.length > 0 || pageOnly.length > 0) {
    const manifestPath = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    manifest.host_permissions = [
      ...grantedOrigins.flatMap(permissionPatternsFor),
      ...pageOnly.map((origin) => permissionPatternsFor(origin)[0]),
    ];
    await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface ExtensionBrowser {
  context: BrowserContext;
  worker: Worker;
  extensionId: string;
  close(): Promise<void>;
}

export async function launchWithExtension(
  extensionDir: string,
  userDataDir: string,
): Promise<ExtensionBrowser> {
  const context = await launchChromiumContext(userDataDir, [
    `--disable-extensions-except=${extensionDir}`,
    `--load-extension=${extensionDir}`,
  ]);
  try {
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    const extensionId = new URL(worker.url()).host;
    return { context, worker, extensionId, close: () => context.close() };
  } catch (error) {
    await context.close();
    throw error;
  }
}

/**
 * A copy of the build (granting `grantedOrigins`) loaded into Chromium on a new profile: the usual
 * setup of a browser test. `close()` closes the browser and removes the copy and the profile.
 */
export async function launchFreshExtension(
  grantedOrigins: readonly string[] = [],
  options: GrantOptions = {},
): Promise<ExtensionBrowser> {
  const extension = await copyExtension(grantedOrigins, options);
  const profile = await newProfileDir();
  const removeBoth = () => Promise.all([extension.remove(), profile.remove()]).then(() => {});
  try {
    const browser = await launchWithExtension(extension.dir, profile.dir);
    return { ...browser, close: () => browser.close().finally(removeBoth) };
  } catch (error) {
    await removeBoth();
    throw error;
  }
}

/** Stops the extension's service worker, as Chrome does after 30 s without events. */
export async function stopServiceWorker(browser: ExtensionBrowser, page: Page): Promise<void> {
  const cdp = await browser.context.newCDPSession(page);
  const runningWorker = async () =>
    (await cdp.send('Target.getTargets')).targetInfos.find(
      (info) =>
        info.type === 'service_worker' && info.url.startsWith(`chrome-extension://${browser.extensionId}/`),
    );
  const target = await runningWorker();
  if (!target) throw new Error('the extension has no running service worker');
  await cdp.send('Target.closeTarget', { targetId: target.targetId });
  await expect.poll(runningWorker).toBeUndefined();
  await cdp.detach();
}

/** Points `browser.worker` at the extension's running worker (after Chrome restarted it). */
export async function reattachWorker(browser: ExtensionBrowser): Promise<void> {
  const alive = async (worker: Worker) =>
    (await worker.evaluate(() => chrome.runtime.id).catch(() => '')) !== '';
  for (const worker of browser.context.serviceWorkers().reverse()) {
    if (worker.url().startsWith(`chrome-extension://${browser.extensionId}/`) && (await alive(worker))) {
      browser.worker = worker;
      return;
    }
  }
  throw new Error('the extension has no running service worker');
}

export function badgeText(browser: ExtensionBrowser): Promise<string> {
  return browser.worker.evaluate(() => chrome.action.getBadgeText({}));
}

/**
 * Opens the real popup page the way the toolbar button shows it: beside the page under test, which
 * stays the active tab of the last focused browser window (what the popup treats as "this tab").
 */
export async function openPopup(browser: ExtensionBrowser, pageUnderTest?: Page): Promise<Page> {
  await pageUnderTest?.bringToFront();
  const url = `chrome-extension://${browser.extensionId}/popup.html`;
  const [popup] = await Promise.all([
    browser.context.waitForEvent('page', (page) => page.url() === url),
    browser.worker.evaluate(
      (popupUrl) => chrome.windows.create({ url: popupUrl, type: 'popup', width: 380, height: 640 }),
      url,
    ),
  ]);
  await popup.waitForFunction(() => document.getElementById('status')?.textContent !== 'Loading…');
  return popup;
}

/** Loads `/page` (which has a same-origin subframe), then makes one fetch and one XHR from it. */
export async function browsePage(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/page`);
  await page.frameLocator('iframe').locator('p').waitFor();
  await page.evaluate(async () => {
    await fetch('/data/fetch');
    await new Promise<void>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('GET', '/data/xhr');
      xhr.onload = () => resolve();
      xhr.onerror = () => reject(new Error('xhr failed'));
      xhr.send();
    });
  });
}

/** The origins the popup lists as chosen, in order. */
export function chosenOrigins(popup: Page): Promise<(string | undefined)[]> {
  return popup
    .locator('#origins li')
    .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.origin));
}

/** The badge of the first tab whose URL starts with `urlPrefix` (`no tab` when there is none). */
export function tabBadge(browser: ExtensionBrowser, urlPrefix: string): Promise<string> {
  return browser.worker.evaluate(async (prefix) => {
    const tab = (await chrome.tabs.query({})).find((candidate) => candidate.url?.startsWith(prefix));
    return tab?.id === undefined ? 'no tab' : chrome.action.getBadgeText({ tabId: tab.id });
  }, urlPrefix);
}

/** Types `pr` (and an expiry, when given) in the popup, clicks Turn on and waits until it says on. */
export async function turnOn(popup: Page, pr: string, expiryHours?: string): Promise<void> {
  await popup.locator('#pr').fill(pr);
  if (expiryHours !== undefined) await popup.locator('#expiry-hours').fill(expiryHours);
  await popup.locator('#turn-on').click();
  await expect.poll(() => popup.locator('#status').getAttribute('data-state')).toBe('on');
}

/** Clicks Turn off in the popup and waits until it says off. */
export async function turnOff(popup: Page): Promise<void> {
  await popup.locator('#turn-off').click();
  await expect.poll(() => popup.locator('#status').getAttribute('data-state')).toBe('off');
}

/** Accepts the popup's "Add this page and the API it calls" offer, after checking that it names both. */
export async function addPageAndItsApi(
  popup: Page,
  pageOrigin: string,
  ...calledOrigins: string[]
): Promise<void> {
  await expect
    .poll(() => popup.locator('#add-current').textContent())
    .toBe('Add this page and the API it calls');
  expect(await popup.locator('#add-current-origins li').allTextContents()).toEqual([
    `${pageOrigin} (this page)`,
    ...calledOrigins.map((origin) => `${origin} (called by this page)`),
  ]);
  await popup.locator('#add-current').click();
  await expect.poll(() => chosenOrigins(popup)).toEqual([pageOrigin, ...calledOrigins]);
}

/** Two test servers and the extension (granted what `grants` returns) with one page open. */
export interface ExtensionRig {
  one: TestServer;
  two: TestServer;
  browser: ExtensionBrowser;
  page: Page;
  /** What either server received for `host` (and `path`, when given), in order. */
  recorded(host: string, path?: string): RecordedRequest[];
  clearRecords(): void;
  /** Closes the browser (removing its copy and profile) and both servers. */
  close(): Promise<void>;
}

export async function startExtensionRig(
  grants: (one: TestServer, two: TestServer) => string[],
): Promise<ExtensionRig> {
  const one = await startTestServer();
  const two = await startTestServer();
  const browser = await launchFreshExtension(grants(one, two));
  const page = await browser.context.newPage();
  return {
    one,
    two,
    browser,
    page,
    recorded: (host, path) =>
      [...one.requests, ...two.requests].filter(
        (request) => request.host === host && (path === undefined || request.path === path),
      ),
    clearRecords: () => {
      one.requests.length = 0;
      two.requests.length = 0;
    },
    close: async () => {
      await browser.close();
      await Promise.all([one.close(), two.close()]);
    },
  };
}

/**
 * Four origins on the two servers: A, the API (server one as 127.0.0.1); B, A's host on another port
 * (server two as 127.0.0.1); C, A's port under another host name (server one as localhost); W, the page
 * (server two as localhost).
 */
export interface FourOrigins {
  api: string;
  otherPort: string;
  otherHost: string;
  page: string;
}

function fourOrigins(one: TestServer, two: TestServer): FourOrigins {
  return {
    api: one.origin('127.0.0.1'),
    otherPort: two.origin('127.0.0.1'),
    otherHost: one.origin('localhost'),
    page: two.origin('localhost'),
  };
}

/** The rig with all four origins granted, so it is the extension's rules alone that decide. */
export async function startFourOriginRig(): Promise<ExtensionRig & { origins: FourOrigins }> {
  const rig = await startExtensionRig((one, two) => Object.values(fourOrigins(one, two)));
  return { ...rig, origins: fourOrigins(rig.one, rig.two) };
}
