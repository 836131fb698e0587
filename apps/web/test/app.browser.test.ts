import { shownHops } from '@pr-canary/test-support/web-ui';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { apiRequest, useBrowserSuite } from './browser-helper';

const suite = useBrowserSuite();

function verdicts(page: Page): Promise<string[]> {
  return page.$$eval('#verdicts .verdict', (found) =>
    found.map((v) => `${(v as HTMLElement).dataset.level}: ${v.textContent}`),
  );
}

/** Waits until the item list finished loading for `track` ("stable" or "PR 42"); returns the item names. */
async function loadedItemNames(page: Page, track: string): Promise<string[]> {
  await expect
    .poll(() => page.textContent('#items-status'), { timeout: 15_000 })
    .toMatch(new RegExp(`^(No items|\\d+ items?) on ${track}( yet| so far; more below)?\\.$`));
  return page.$$eval('#items-list .item-name', (names) => names.map((name) => name.textContent ?? ''));
}

async function choosePr(page: Page, pr: string): Promise<void> {
  await page.fill('#pr-input', pr);
  await page.press('#pr-input', 'Enter');
}

function uniqueName(label: string): string {
  return `${label} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Creates an item under PR 42 as another user would (through the API), then opens the page on PR 42.
 * `name` and `priceCents` as given, else a unique name and 10.00.
 */
async function openWithItemOnPr42(
  label: string,
  item: { name?: string; priceCents?: number } = {},
): Promise<{ name: string; id: string; page: Page }> {
  const name = item.name ?? uniqueName(label);
  const created = await apiRequest(suite.apiUrl, 'POST', '/api/items', {
    canary: '42',
    body: { name, description: '', priceCents: item.priceCents ?? 1000 },
  });
  expect(created.status).toBe(201);
  const id = (created.body as { id: string }).id;
  const page = await suite.openPage('/?pr=42');
  await expect.poll(() => loadedItemNames(page, 'PR 42')).toContain(name);
  return { name, id, page };
}

/** Submits the open edit dialog; resolves with the API's answer to its PUT. */
async function submitEdit(page: Page) {
  const [answer] = await Promise.all([
    page.waitForResponse((response) => response.request().method() === 'PUT'),
    page.click('#edit-form button[type="submit"]'),
  ]);
  return answer;
}

/** The item as PR 42's store has it now. */
function currentOnPr42(id: string) {
  return apiRequest(suite.apiUrl, 'GET', `/api/items/${encodeURIComponent(id)}`, { canary: '42' });
}

describe('web UI in Chromium against the local stack', () => {
  it('shows both hops as the PR 42 canary when PR 42 is chosen', async () => {
    const page = await suite.openPage('/?pr=42');

    await expect
      .poll(() => shownHops(page), { timeout: 15_000 })
      .toEqual([
        { service: 'api-service', kind: 'canary', text: expect.stringContaining('canary pr-42') },
        { service: 'store-service', kind: 'canary', text: expect.stringContaining('canary pr-42') },
      ]);
    expect(await verdicts(page)).toEqual(['ok: ✓Every hop was served by the PR 42 canary.']);
    expect(await page.textContent('#api-url')).toBe(suite.apiUrl);

    await page.click('#check-route');
    await expect.poll(() => page.textContent('#route-request')).toContain('GET /api/route → 200');
    expect(await page.textContent('#route-request')).toContain('X-Canary: 42');
    expect((await shownHops(page)).map((hop) => hop.kind)).toEqual(['canary', 'canary']);
  });

  it('shows api on stable and store on the canary for PR 7, and remembers the choice', async () => {
    const page = await suite.openPage('/');
    await expect.poll(() => shownHops(page), { timeout: 15_000 }).toHaveLength(2);
    expect((await shownHops(page)).map((hop) => hop.kind)).toEqual(['stable', 'stable']);

    await choosePr(page, '7');

    await expect
      .poll(() => shownHops(page))
      .toEqual([
        { service: 'api-service', kind: 'stable', text: expect.stringContaining('stable') },
        { service: 'store-service', kind: 'canary', text: expect.stringContaining('canary pr-7') },
      ]);
    expect(await verdicts(page)).toEqual([
      'info: ℹPR 7 has a canary for store-service; api-service has none, so stable served it.',
    ]);
    expect(new URL(page.url()).searchParams.get('pr')).toBe('7');
    // Canary and stable look different, not only in words.
    const colours = await page.$$eval('#hops .hop', (hops) =>
      hops.map((hop) => getComputedStyle(hop).backgroundColor),
    );
    expect(colours[0]).not.toBe(colours[1]);

    await page.goto(suite.webUrl);
    await expect.poll(() => page.inputValue('#pr-input')).toBe('7');
  });

  it('keeps an item created under PR 42 in the PR 42 store only', async () => {
    const page = await suite.openPage('/?pr=42');
    const name = uniqueName('Canary lamp');
    await loadedItemNames(page, 'PR 42');

    await page.fill('#create-name', name);
    await page.fill('#create-price', '12.50');
    await page.fill('#create-description', 'made on the canary');
    await page.click('#create-form button[type="submit"]');

    await expect
      .poll(() => page.$$eval('#items-list .item-name', (n) => n.map((e) => e.textContent)))
      .toContain(name);
    expect(await page.textContent(`#items-list .item:has-text("${name}") .item-price`)).toBe('12.50');

    await page.click('#pr-clear');
    expect(await loadedItemNames(page, 'stable')).not.toContain(name);
    expect((await shownHops(page)).map((hop) => hop.kind)).toEqual(['stable', 'stable']);

    await choosePr(page, '42');
    expect(await loadedItemNames(page, 'PR 42')).toContain(name);
  });

  it('refuses a save over a newer version, keeps the edit, and saves over it once the user has seen it', async () => {
    const { name, id, page } = await openWithItemOnPr42('Shared chair');

    await page.click(`#items-list [data-item-id="${id}"] button:has-text("Edit")`);
    const elsewhere = `${name} (changed elsewhere)`;
    const update = await apiRequest(suite.apiUrl, 'PUT', `/api/items/${encodeURIComponent(id)}`, {
      canary: '42',
      ifMatch: 1,
      body: { name: elsewhere, description: '', priceCents: 1000 },
    });
    expect(update.status).toBe(200);
    await page.fill('#edit-name', `${name} (mine)`);
    const refused = await submitEdit(page);

    // The API refuses the stale If-Match with 412 Precondition Failed (RFC 9110 §13.1.1).
    expect(refused.status()).toBe(412);
    await page.waitForSelector('#edit-conflict:not([hidden])');
    expect(await page.textContent('#edit-conflict-text')).toContain(
      'Not saved: this item changed since you opened it (you edited version 1; it is now version 2',
    );
    expect(await page.textContent('#edit-conflict-current')).toContain(elsewhere);
    expect(await page.inputValue('#edit-name')).toBe(`${name} (mine)`);
    const current = await currentOnPr42(id);
    expect(current.body).toMatchObject({ name: elsewhere, version: 2 });

    await page.click('#edit-overwrite');
    await page.waitForSelector('#edit-dialog', { state: 'hidden' });
    expect(await page.textContent(`#items-list [data-item-id="${id}"]`)).toContain(`${name} (mine)`);
    expect(await page.textContent(`#items-list [data-item-id="${id}"]`)).toContain('v3');
    expect(await page.textContent('#notices [role="status"] .notice')).toContain(
      `Saved “${name} (mine)” (version 3) in the PR 42 store.`,
    );
  });

  it('saves back any item the API holds (200 emoji in its name, the largest price), and gives focus back to its Edit button', async () => {
    const { name, id, page } = await openWithItemOnPr42('', {
      name: `${'😀'.repeat(190)}${Date.now().toString(36).slice(-6)}`,
      priceCents: Number.MAX_SAFE_INTEGER,
    });

    const edit = `#items-list [data-item-id="${id}"] [data-action="edit"]`;
    await page.focus(edit);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#edit-dialog[open]');
    await page.fill('#edit-description', 'only the description changes');
    const saved = await submitEdit(page);
    expect(saved.status()).toBe(200);
    await page.waitForSelector('#edit-dialog', { state: 'hidden' });
    const current = await currentOnPr42(id);
    expect(current.body).toMatchObject({
      name,
      priceCents: Number.MAX_SAFE_INTEGER,
      description: 'only the description changes',
      version: 2,
    });
    // The list was drawn again with the saved item: focus is on that row's new Edit button, not <body>.
    expect(
      await page.evaluate((selector) => document.activeElement === document.querySelector(selector), edit),
    ).toBe(true);
  });

  it('deletes an item after confirmation, and the API no longer has it', async () => {
    const { name, id, page } = await openWithItemOnPr42('Old kettle');

    await page.click(`#items-list [data-item-id="${id}"] button:has-text("Delete")`);
    expect(await page.textContent('#delete-text')).toContain(
      `“${name}” (version 1) will be deleted from the PR 42 store`,
    );
    await page.click('#delete-form button[type="submit"]');

    await page.waitForSelector('#delete-dialog', { state: 'hidden' });
    await expect.poll(() => page.locator(`#items-list [data-item-id="${id}"]`).count()).toBe(0);
    expect(await page.textContent('#notices [role="status"] .notice')).toContain(
      `Deleted “${name}” from the PR 42 store.`,
    );
    const gone = await currentOnPr42(id);
    expect(gone.status).toBe(404);
  });

  it('after a delete by keyboard, puts focus on the next row’s Delete button (else the previous row’s)', async () => {
    const names = [uniqueName('Keyboard vase'), uniqueName('Keyboard bowl'), uniqueName('Keyboard jug')];
    for (const name of names) {
      const created = await apiRequest(suite.apiUrl, 'POST', '/api/items', {
        canary: '42',
        body: { name, description: '', priceCents: 100 },
      });
      expect(created.status).toBe(201);
    }
    const page = await suite.openPage('/?pr=42');
    await expect.poll(() => loadedItemNames(page, 'PR 42')).toEqual(expect.arrayContaining(names));
    const ids = () =>
      page.$$eval('#items-list .item', (rows) => rows.map((r) => (r as HTMLElement).dataset.itemId));
    const focused = () =>
      page.evaluate(() => {
        const active = document.activeElement;
        return {
          row: active?.closest<HTMLElement>('[data-item-id]')?.dataset.itemId ?? null,
          label: active?.getAttribute('aria-label') ?? active?.id ?? active?.tagName ?? null,
        };
      });
    async function deleteByKeyboard(id: string): Promise<void> {
      await page.focus(`#items-list [data-item-id="${id}"] button:has-text("Delete")`);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#delete-dialog[open]');
      await page.keyboard.press('Tab'); // Cancel → Delete
      await page.keyboard.press('Enter');
      await page.waitForSelector('#delete-dialog', { state: 'hidden' });
      await expect.poll(() => page.locator(`#items-list [data-item-id="${id}"]`).count()).toBe(0);
    }

    const before = await ids();
    await deleteByKeyboard(before[0] ?? '');
    await expect.poll(focused).toEqual({ row: before[1], label: expect.stringMatching(/^Delete /) });

    const last = (await ids()).at(-1) ?? '';
    const beforeLast = (await ids()).at(-2);
    await deleteByKeyboard(last);
    await expect.poll(focused).toEqual({ row: beforeLast, label: expect.stringMatching(/^Delete /) });
  });

  it('wraps a long unbroken item name in its notice instead of widening the page', async () => {
    const page = await suite.openPage('/?pr=42', { width: 375, height: 800 });
    await loadedItemNames(page, 'PR 42');
    const name = 'a'.repeat(120);
    await page.fill('#create-name', name);
    await page.fill('#create-price', '1');
    await page.click('#create-form button[type="submit"]');
    const notice = page.locator('#notices [role="status"] .notice', { hasText: `Added “${name}”` });
    await notice.waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    const dismiss = await notice.locator('button').boundingBox();
    expect((dismiss?.x ?? 999) + (dismiss?.width ?? 0)).toBeLessThanOrEqual(375);
  });

  it('warns when the chosen PR has no canary anywhere', async () => {
    const page = await suite.openPage('/?pr=99');
    await expect
      .poll(() => verdicts(page), { timeout: 15_000 })
      .toEqual([expect.stringMatching(/^warning: .*PR 99 landed nowhere/)]);
    expect((await shownHops(page)).map((hop) => hop.kind)).toEqual(['stable', 'stable']);
  });

  it('labels items by the store that served them: PR 999 has no canary, so they are stable’s', async () => {
    const name = uniqueName('Stable mug');
    const created = await apiRequest(suite.apiUrl, 'POST', '/api/items', {
      body: { name, description: '', priceCents: 700 },
    });
    expect(created.status).toBe(201);

    const page = await suite.openPage('/?pr=999');
    expect(await loadedItemNames(page, 'stable')).toContain(name);
    expect(await page.textContent('#items-status')).toMatch(/^\d+ items? on stable( so far; more below)?\.$/);
    expect(await page.textContent('#items-track')).toBe('stable');
    expect(await page.getAttribute('#items-track', 'data-kind')).toBe('stable');
    expect(await page.textContent('#items-source')).toBe(
      "PR 999 has no store canary, so stable's store answered: these are stable's items.",
    );
    // The picker still says what was picked; only the data label follows X-Served-By.
    expect(await page.textContent('#pr-current')).toBe('PR 999');

    // A write under PR 999 lands in stable's store, and the page says so.
    const added = uniqueName('Stable cup');
    await page.fill('#create-name', added);
    await page.fill('#create-price', '3');
    await page.click('#create-form button[type="submit"]');
    await expect
      .poll(() => page.textContent('#notices [role="status"] .notice'))
      .toBe(
        `Added “${added}” to the stable store. PR 999 has no store canary, so stable's store answered: these are stable's items.×`,
      );
    const onStable = await apiRequest(suite.apiUrl, 'GET', '/api/items?limit=100');
    expect((onStable.body as { items: { name: string }[] }).items.map((i) => i.name)).toContain(added);

    // PR 7 (a store canary) is labelled by its canary, with no note.
    await choosePr(page, '7');
    await loadedItemNames(page, 'PR 7');
    expect(await page.getAttribute('#items-track', 'data-kind')).toBe('canary');
    expect(await page.isHidden('#items-source')).toBe(true);
  });

  it('refuses an invalid PR number, and on request shows the API serving it on stable with a warning', async () => {
    const page = await suite.openPage('/?pr=42');
    await loadedItemNames(page, 'PR 42');

    await choosePr(page, '04x2');
    await page.waitForSelector('#pr-error:not([hidden])');
    expect(await page.textContent('#pr-error')).toContain('Not a PR number');
    expect(await page.getAttribute('#pr-input', 'aria-invalid')).toBe('true');
    expect(new URL(page.url()).searchParams.get('pr')).toBe('42');

    await page.click('#pr-try-button');
    await expect.poll(() => page.textContent('#route-request')).toContain('X-Canary: 04x2');
    expect((await shownHops(page)).map((hop) => hop.kind)).toEqual(['stable', 'stable']);
    expect(await verdicts(page)).toEqual([
      expect.stringMatching(/^warning: .*ignored the canary key: invalid canary key \(not_digits\)/),
    ]);
    // The invalid value was only sent once: the choice is still PR 42.
    expect(await page.textContent('#pr-current')).toBe('PR 42');
  });

  it('pages through a long list with Load more', async () => {
    const prefix = uniqueName('Paged');
    for (let i = 1; i <= 21; i++) {
      const created = await apiRequest(suite.apiUrl, 'POST', '/api/items', {
        canary: '7',
        body: { name: `${prefix} ${i}`, description: '', priceCents: i },
      });
      expect(created.status).toBe(201);
    }
    const page = await suite.openPage('/?pr=7');
    expect(await loadedItemNames(page, 'PR 7')).toHaveLength(20);
    expect(await page.textContent('#items-status')).toBe('20 items on PR 7 so far; more below.');

    await page.click('#load-more');
    await expect
      .poll(() => page.$$eval('#items-list .item-name', (names) => names.length))
      .toBeGreaterThanOrEqual(21);
    const names = await page.$$eval('#items-list .item-name', (found) => found.map((n) => n.textContent));
    for (let i = 1; i <= 21; i++) expect(names).toContain(`${prefix} ${i}`);
  });

  it('tells the user when the API cannot be reached', async () => {
    const page = await suite.openPage('/?api=http://127.0.0.1:9');
    const alert = page.locator('#notices [role="alert"] .notice');
    await alert.first().waitFor({ timeout: 15_000 });
    expect(await alert.first().textContent()).toContain(
      'Could not load items: Could not reach the API at http://127.0.0.1:9',
    );
    expect(await page.textContent('#notices [role="status"] .notice')).toContain(
      'set by the ?api= parameter',
    );
  });
});
