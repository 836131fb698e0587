import { type Stack, startStack } from '@pr-canary/localdev';
import { shownHops } from '@pr-canary/test-support/web-ui';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPageAndItsApi,
  chosenOrigins,
  type ExtensionBrowser,
  launchFreshExtension,
  openPopup,
  tabBadge,
  turnOn,
} from './browser/browser';

// The README's recipe, step by step, against the real local stack (localdev's startStack with the web
// UI: dev router, stable api/store, PR 42 api+store canaries, PR 7 store canary, dynalite in memory,
// the web UI's production build; ephemeral ports stand in for 5173 and 8080). As with `npm start`, the page is
// opened as http://localhost:<web port> and calls the API at http://127.0.0.1:<api port>.
let stack: Stack;
let webOrigin: string;
let apiOrigin: string;
/** The stack's trace receiver: the web UI reads the waterfall from it, so the page calls it too. */
let tracesOrigin: string;
let browser: ExtensionBrowser;
let page: Page;

// Two steps, each within the shared hook timeout: the stack (its own bound names a part that is not
// ready), then Chromium with the extension.
beforeAll(async () => {
  stack = await startStack({ web: true, readyTimeoutMs: 15_000 });
  webOrigin = `http://localhost:${new URL(stack.urls.web ?? '').port}`;
  apiOrigin = new URL(stack.urls.api).origin;
  tracesOrigin = new URL(stack.urls.traces ?? '').origin;
});

beforeAll(async () => {
  browser = await launchFreshExtension([webOrigin, apiOrigin, tracesOrigin]);
  page = await browser.context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Opens (or reloads) the web UI and waits until its item list has loaded. */
async function openWebUi(): Promise<void> {
  await page.goto(webOrigin);
  await expect
    .poll(() => page.textContent('#items-status'), { timeout: 20_000 })
    .toMatch(/^(No items|\d+ items?) on /);
}

const hopsShown = () => shownHops(page);

function verdicts(): Promise<string[]> {
  return page.$$eval('#verdicts .verdict', (found) => found.map((v) => v.textContent ?? ''));
}

async function turnOnAs(popup: Page, pr: string): Promise<void> {
  await turnOn(popup, pr);
  expect(await popup.locator('#status').textContent()).toContain(`X-Canary ${pr} `);
}

const webTabBadge = () => tabBadge(browser, webOrigin);

describe('the README recipe against the local stack (npm start)', () => {
  it('serves the web UI’s build with a config.json naming this stack’s API, trace receiver and control endpoint', async () => {
    const response = await fetch(`${webOrigin}/config.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      apiUrl: stack.urls.api,
      tracesUrl: stack.urls.traces,
      stackUrl: stack.urls.control,
    });
  });

  it('is all stable while the extension has no origins', async () => {
    await openWebUi();
    await expect.poll(hopsShown).toHaveLength(2);
    expect((await hopsShown()).map((hop) => hop.kind)).toEqual(['stable', 'stable']);
  });

  it('one click adds the web UI and the API it calls; PR 42 then reaches both canaries', async () => {
    // 1. Open the web UI. 2. Open the popup: "Add this page and the API it calls".
    const popup = await openPopup(browser, page);
    await addPageAndItsApi(popup, webOrigin, apiOrigin, tracesOrigin);
    // The check asks the API by default (the web UI and the trace receiver have no /api/route), and
    // the menu is as wide as its origins.
    expect(await popup.locator('#check-origin').inputValue()).toBe(apiOrigin);
    const menu = await popup.locator('#check-origin').evaluate((select) => {
      const natural = select.cloneNode(true) as HTMLSelectElement;
      natural.style.cssText = 'position: absolute; width: auto; max-width: none';
      document.body.append(natural);
      const naturalWidth = natural.getBoundingClientRect().width;
      natural.remove();
      return { shown: select.getBoundingClientRect().width, natural: naturalWidth };
    });
    expect(menu.shown).toBeGreaterThanOrEqual(menu.natural);
    // 3. PR 42, Turn on, reload the page.
    await turnOnAs(popup, '42');
    // The links go to this web UI (npm start -- --web-port N), not to the default port.
    expect(await popup.locator('#verdict-link').getAttribute('href')).toBe(`${webOrigin}/?pr=42#verdict`);
    expect(await popup.locator('#verdict-link').textContent()).toBe(
      "PR 42's verdict and route in the local web UI",
    );
    await popup.close();
    await openWebUi();

    await expect.poll(hopsShown).toEqual([
      { service: 'api-service', kind: 'canary', text: expect.stringContaining('canary pr-42') },
      { service: 'store-service', kind: 'canary', text: expect.stringContaining('canary pr-42') },
    ]);
    // The page picked nothing, so it says the key came from outside it, and whose items these are.
    expect(await verdicts()).toEqual([
      '⚠This page sent no X-Canary, but the API received X-Canary: 42: a browser extension (such as PR Canary) or a proxy added it.',
      '✓Every hop was served by the PR 42 canary.',
    ]);
    expect(await page.textContent('#items-track')).toBe('PR 42');
    expect(await page.textContent('#items-source')).toMatch(
      /^You picked stable, but the PR 42 store answered/,
    );

    // The popup and the badge confirm that the API received the extension's key.
    await expect.poll(webTabBadge).toBe('42✓');
    const reopened = await openPopup(browser, page);
    await expect
      .poll(() => reopened.locator('#key-check').textContent())
      .toBe('The API received X-Canary 42 from PR Canary.');
    await expect
      .poll(() => reopened.locator('#served-by-hops li').allTextContents())
      .toEqual([
        expect.stringMatching(/^api-service: pr-42 \S+ — on PR 42$/),
        expect.stringMatching(/^store-service: pr-42 \S+ — on PR 42$/),
      ]);
    // The response named its trace: the popup links its waterfall in this web UI, and the CLI line
    // names this stack's trace receiver (not on its default port here).
    const traceLink = await reopened.locator('#served-by-trace-link').getAttribute('href');
    expect(traceLink).toMatch(/\?trace=[0-9a-f]{32}&pr=42$/);
    expect(traceLink?.startsWith(`${webOrigin}/?trace=`)).toBe(true);
    expect(await reopened.locator('#served-by-trace code').textContent()).toMatch(
      new RegExp(`^npx pr-canary trace [0-9a-f]{32} --url ${tracesOrigin.replaceAll('.', '\\.')}$`),
    );
    expect(await reopened.locator('#check-origin').inputValue()).toBe(apiOrigin);
    await reopened.locator('#check').click();
    await expect.poll(() => reopened.locator('#check-summary').textContent()).toBe('2 of 2 hop(s) on PR 42');
    await reopened.close();

    // On another tab the popup still knows the web UI the one-click add found.
    const elsewhere = await browser.context.newPage();
    const onOtherTab = await openPopup(browser, elsewhere);
    expect(await onOtherTab.locator('#verdict-link').getAttribute('href')).toBe(
      `${webOrigin}/?pr=42#verdict`,
    );
    await onOtherTab.close();
    await elsewhere.close();
  });

  it('the typed recipe (the two origins by hand) works too: PR 7 goes through the stable api to its store', async () => {
    const popup = await openPopup(browser, page);
    for (const origin of [webOrigin, apiOrigin, tracesOrigin]) {
      await popup.locator(`#origins li[data-origin="${origin}"] .remove-origin`).click();
    }
    await expect.poll(() => popup.locator('#origins li').count()).toBe(0);
    for (const [index, origin] of [webOrigin, apiOrigin].entries()) {
      await popup.locator('#origin-input').fill(origin);
      await popup.locator('#add-origin').click();
      await expect.poll(() => popup.locator('#origins li').count()).toBe(index + 1);
    }
    await expect.poll(() => chosenOrigins(popup)).toEqual([webOrigin, apiOrigin]);
    await turnOnAs(popup, '7');
    await popup.close();
    await openWebUi();

    await expect.poll(hopsShown).toEqual([
      { service: 'api-service', kind: 'stable', text: expect.stringContaining('stable') },
      { service: 'store-service', kind: 'canary', text: expect.stringContaining('canary pr-7') },
    ]);
    expect(await page.textContent('#items-track')).toBe('PR 7');
  });

  it('the page’s own pick loses to the extension’s key, and the page says so', async () => {
    // The extension (PR 7) sets X-Canary on the page's requests; the page picks PR 42 itself.
    await page.goto(`${webOrigin}/?pr=42`);
    await expect
      .poll(verdicts, { timeout: 20_000 })
      .toContain(
        '⚠This page sent X-Canary: 42, but the API received 7: a browser extension (such as PR Canary) or a proxy replaced it.',
      );
    await expect
      .poll(() => page.textContent('#items-source'))
      .toMatch(/^You picked PR 42, but the PR 7 store answered/);
  });
});
