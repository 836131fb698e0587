import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, useBrowserSuite } from './browser-helper';

/**
 * Canaries that are declared but not running, on the real local stack: their routes stay and answer
 * 503 / UNAVAILABLE naming the PR and the service, never stable's data. The page must show that message
 * in the item list and the route inspector, and never call it "stable served it" or "landed nowhere".
 */
const suite = useBrowserSuite({
  onStackStarted: async (stack) => {
    await stack.kill('store-service', 'pr-7');
    await stack.kill('api-service', 'pr-42');
  },
});

function verdicts(page: Page): Promise<string[]> {
  return page.$$eval('#verdicts .verdict', (found) => found.map((v) => v.textContent ?? ''));
}

async function failedStatus(page: Page, pr: string): Promise<string> {
  await expect
    .poll(() => page.textContent('#items-status'), { timeout: 15_000 })
    .toMatch(new RegExp(`^Items for PR ${pr} could not be loaded: `));
  return (await page.textContent('#items-status')) ?? '';
}

function expectNoGuesses(text: string | null): void {
  expect(text).not.toContain('does not change');
  expect(text).not.toContain('has none, so stable served');
  expect(text).not.toContain('landed nowhere');
}

describe('web UI in Chromium when a PR canary is declared but not running', () => {
  let stableNames: string[] = [];

  beforeAll(async () => {
    const stable = await apiRequest(suite.apiUrl, 'GET', '/api/items?limit=100');
    stableNames = (stable.body as { items: { name: string }[] }).items.map((item) => item.name);
  });

  it('shows the store canary’s 503 message (PR 7) in the list and the inspector', async () => {
    const page = await suite.openPage('/?pr=7');
    const status = await failedStatus(page, '7');
    expect(status).toMatch(/PR 7's store-service canary is declared but not running/);
    await expect
      .poll(() => verdicts(page))
      .toEqual([
        expect.stringMatching(
          /^⚠The request failed with HTTP 503: PR 7's store-service canary is declared but not running/,
        ),
      ]);
    expect(await page.textContent('#items-track')).toBe('not loaded');
    expectNoGuesses(await page.textContent('body'));
  });

  it('refuses a write under PR 7 instead of writing it to stable’s table', async () => {
    const page = await suite.openPage('/?pr=7');
    await failedStatus(page, '7');
    const name = `Not on stable ${Date.now().toString(36)}`;
    await page.fill('#create-name', name);
    await page.fill('#create-price', '1');
    await page.click('#create-form button[type="submit"]');
    await expect
      .poll(() => page.textContent('#notices [role="alert"] .notice p'))
      .toMatch(/^Could not add the item: PR 7's store-service canary is declared but not running/);
    const stable = await apiRequest(suite.apiUrl, 'GET', '/api/items?limit=100');
    const names = (stable.body as { items: { name: string }[] }).items.map((item) => item.name);
    expect(names).not.toContain(name);
    expect(names).toEqual(stableNames);
  });

  it('says that PR 42’s route failed before any api-service, naming the PR (api canary down)', async () => {
    const page = await suite.openPage('/?pr=42');
    const status = await failedStatus(page, '42');
    expect(status).toMatch(
      /PR 42's api-service canary is declared but not running|Is PR 42's api canary declared but not running\?/,
    );
    await expect.poll(() => verdicts(page)).toEqual([expect.stringMatching(/^⚠The request failed/)]);
    expectNoGuesses(await page.textContent('body'));
  });
});
