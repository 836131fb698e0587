import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type ListeningServer, listenOnLoopback } from '@pr-canary/test-support';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Item } from '../src/api/schema';
import { useBrowserSuite } from './browser-helper';

/**
 * The web UI in Chromium against a scripted API on a real socket: answers the local stack cannot be made
 * to give on demand (a 412 from the api, a router's 503 for a canary that is declared but not running)
 * are sent exactly as the contract says, with real CORS, so what the page does with them is what is tested.
 */
const suite = useBrowserSuite({ stack: false });

const STABLE_CHAIN =
  'api-service;track="stable";version="0.1.0", store-service;track="stable";version="0.1.0"';
const API_STABLE_ONLY = 'api-service;track="stable";version="0.1.0"';
const STORE_7_DOWN = "PR 7's store-service canary is declared but not running (stopped)";
const UNCERTAIN =
  'the store did not answer in time; the change may still have been applied: GET the item and compare its ETag (version) before retrying';
const API_42_DOWN = "PR 42's api-service canary is declared but not running (restarting, 2 restarts so far)";

type FakeItem = Item;

let api: ListeningServer | undefined;
let apiUrl = '';
let item: FakeItem;
/** The API is "down": every connection is dropped without an answer (the page cannot reach it). */
let down = false;
/** How many of the next GETs of the item time out (504), as they do behind a slow store. */
let slowReads = 0;
/** The next DELETE times out (504) without deleting. */
let slowDelete = false;
let deleted = false;
const puts: (string | undefined)[] = [];

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, extra = {}) {
  const cors = {
    'access-control-allow-origin': req.headers.origin ?? '*',
    'access-control-expose-headers': 'x-served-by, x-canary, x-canary-warning, etag',
    vary: 'Origin',
  };
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...cors, ...extra });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function error(status: number, code: string, message: string) {
  const reasons: Record<number, string> = {
    412: 'Precondition Failed',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return { statusCode: status, error: reasons[status], message, code };
}

function handle(req: IncomingMessage, res: ServerResponse, body: string) {
  const url = new URL(req.url ?? '/', 'http://fake');
  const canary = req.headers['x-canary'];
  if (req.method === 'OPTIONS') {
    return send(req, res, 204, undefined, {
      'access-control-allow-methods': 'GET, POST, PUT, DELETE',
      'access-control-allow-headers': 'x-canary, baggage, content-type, if-match',
    });
  }
  // PR 42's api canary is down: the router answers itself (no X-Served-By, CORS for the page), as the dev router does.
  if (canary === '42') return send(req, res, 503, error(503, 'UNAVAILABLE', API_42_DOWN));
  // PR 43's too, but this router's own answer has no CORS headers (as a gateway's 503 may have none):
  // the page cannot read it at all.
  if (canary === '43') {
    res.writeHead(503, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(error(503, 'UNAVAILABLE', 'no CORS on this one')));
  }
  // PR 7's store canary is down: the stable api answers, passing the router's UNAVAILABLE on.
  if (canary === '7') {
    const hops = { 'x-served-by': API_STABLE_ONLY, 'x-canary': '7' };
    return send(req, res, 503, { ...error(503, 'UNAVAILABLE', STORE_7_DOWN), hops: [] }, hops);
  }
  const served = { 'x-served-by': STABLE_CHAIN };
  if (url.pathname === '/api/items' && req.method === 'GET') {
    return send(req, res, 200, { items: [item], nextCursor: null }, served);
  }
  if (url.pathname === `/api/items/${item.id}` && req.method === 'DELETE') {
    if (slowDelete) {
      slowDelete = false;
      return send(req, res, 504, error(504, 'DEADLINE_EXCEEDED', UNCERTAIN), served);
    }
    deleted = true;
    return send(req, res, 204, undefined, served);
  }
  if (url.pathname === `/api/items/${item.id}` && req.method === 'GET' && slowReads > 0) {
    slowReads -= 1;
    return send(req, res, 504, error(504, 'DEADLINE_EXCEEDED', 'the store did not answer in time'), served);
  }
  if (url.pathname === `/api/items/${item.id}` && req.method === 'GET') {
    return send(req, res, 200, item, { ...served, etag: `"${item.version}"` });
  }
  if (url.pathname === `/api/items/${item.id}` && req.method === 'PUT') {
    puts.push(req.headers['if-match']);
    if (req.headers['if-match'] !== `"${item.version}"`) {
      const message = `the item changed: If-Match ${req.headers['if-match']} does not match its current version "${item.version}"`;
      return send(req, res, 412, error(412, 'PRECONDITION_FAILED', message), served);
    }
    const input = JSON.parse(body) as Pick<FakeItem, 'name' | 'description' | 'priceCents'>;
    // "(lost)": the store never got the write; "(slow)": it did, but the api's deadline cut the wait.
    if (input.name.endsWith('(lost)')) return send(req, res, 504, error(504, 'DEADLINE_EXCEEDED', UNCERTAIN));
    item = { ...item, ...input, version: item.version + 1, updatedAt: new Date().toISOString() };
    if (input.name.endsWith('(slow)')) return send(req, res, 504, error(504, 'DEADLINE_EXCEEDED', UNCERTAIN));
    return send(req, res, 200, item, served);
  }
  if (url.pathname === '/api/route') {
    return send(req, res, 200, { canary: null, warning: null, hops: [] }, served);
  }
  send(req, res, 404, { statusCode: 404, error: 'Not Found', message: 'no route', code: 'ROUTE_NOT_FOUND' });
}

beforeAll(async () => {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => (down ? req.socket.destroy() : handle(req, res, body)));
  });
  api = await listenOnLoopback(server);
  apiUrl = api.url;
});

afterAll(() => api?.close());

beforeEach(() => {
  const at = '2026-11-29T10:00:00.000Z';
  item = {
    id: 'lamp-1',
    name: 'Desk lamp',
    description: '',
    priceCents: 1999,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  puts.length = 0;
  down = false;
  slowReads = 0;
  slowDelete = false;
  deleted = false;
});

function open(query: string): Promise<Page> {
  return suite.openPage(`/?api=${encodeURIComponent(apiUrl)}&${query}`);
}

function verdicts(page: Page): Promise<string[]> {
  return page.$$eval('#verdicts .verdict', (found) => found.map((v) => v.textContent ?? ''));
}

/** Someone else saves version 2 while the dialog still shows version 1. */
function changeElsewhere(): void {
  item = {
    ...item,
    name: 'Desk lamp (brass)',
    priceCents: 2450,
    version: 2,
    updatedAt: new Date().toISOString(),
  };
}

async function openEditAndSave(page: Page, name: string): Promise<void> {
  await page.waitForSelector('#items-list [data-item-id="lamp-1"]');
  await page.click('#items-list [data-item-id="lamp-1"] button:has-text("Edit")');
  changeElsewhere();
  await page.fill('#edit-name', name);
  await page.click('#edit-form button[type="submit"]');
  await page.waitForSelector('#edit-conflict:not([hidden])');
}

describe('web UI in Chromium against a scripted API', () => {
  it('on 412 keeps the user’s edit, shows the current version, and saves over it only when asked', async () => {
    const page = await open('pr=');
    await openEditAndSave(page, 'Desk lamp (mine)');

    expect(await page.textContent('#edit-conflict-text')).toContain(
      'Not saved: this item changed since you opened it (you edited version 1; it is now version 2',
    );
    expect(await page.$$eval('#edit-conflict-current dd', (dd) => dd.map((d) => d.textContent))).toEqual([
      'Desk lamp (brass)',
      '24.50',
      '(none)',
    ]);
    // Nothing was overwritten, and what the user typed is still there.
    expect(item.name).toBe('Desk lamp (brass)');
    expect(await page.inputValue('#edit-name')).toBe('Desk lamp (mine)');
    expect(await page.isDisabled('#edit-form button[type="submit"]')).toBe(true);
    // The list already shows the current version.
    expect(await page.textContent('#items-list [data-item-id="lamp-1"]')).toContain('v2');

    await page.click('#edit-overwrite');
    await page.waitForSelector('#edit-dialog', { state: 'hidden' });
    expect(puts).toEqual(['"1"', '"2"']);
    expect(item).toMatchObject({ name: 'Desk lamp (mine)', version: 3 });
    expect(await page.textContent('#items-list [data-item-id="lamp-1"]')).toContain('v3');
  });

  it('on 412 can load the current version instead, dropping the user’s edit', async () => {
    const page = await open('pr=');
    await openEditAndSave(page, 'Desk lamp (mine)');

    await page.click('#edit-use-current');
    expect(await page.inputValue('#edit-name')).toBe('Desk lamp (brass)');
    expect(await page.textContent('#edit-meta')).toContain('Version 2');
    expect(await page.isHidden('#edit-conflict')).toBe(true);
    await page.fill('#edit-price', '25');
    await page.click('#edit-form button[type="submit"]');
    await page.waitForSelector('#edit-dialog', { state: 'hidden' });
    expect(puts).toEqual(['"1"', '"2"']);
    expect(item).toMatchObject({ name: 'Desk lamp (brass)', priceCents: 2500, version: 3 });
  });

  it('shows the API’s message when PR 7’s store canary is declared but not running', async () => {
    const page = await open('pr=7');
    await expect
      .poll(() => page.textContent('#items-status'), { timeout: 15_000 })
      .toBe(`Items for PR 7 could not be loaded: ${STORE_7_DOWN}`);
    expect(await verdicts(page)).toEqual([
      `⚠The request failed with HTTP 503: ${STORE_7_DOWN}. Hops after the failing one are missing.`,
    ]);
    expect(await page.textContent('#items-track')).toBe('not loaded');
    const shown = await page.textContent('body');
    expect(shown).not.toContain('does not change');
    expect(shown).not.toContain('landed nowhere');
  });

  it('shows the router’s message when PR 42’s api canary is declared but not running', async () => {
    const page = await open('pr=42');
    await expect
      .poll(() => verdicts(page), { timeout: 15_000 })
      .toEqual([`⚠The request failed with HTTP 503: ${API_42_DOWN}.`]);
    expect(await page.textContent('#items-status')).toBe(
      `Items for PR 42 could not be loaded: ${API_42_DOWN}`,
    );
    expect(await page.locator('#hops .hop').count()).toBe(0);
  });

  it('explains a canary route that fails before any api-service with an answer the page cannot read', async () => {
    const page = await open('pr=43');
    const explained =
      "The API answers without X-Canary, but not with X-Canary: 43: that route failed before reaching an api-service, and its answer is not readable by this page (no CORS headers). Is PR 43's api canary declared but not running?";
    await expect
      .poll(() => page.textContent('#items-status'), { timeout: 15_000 })
      .toBe(`Items for PR 43 could not be loaded: ${explained}`);
    expect(await verdicts(page)).toEqual([`⚠The request failed: ${explained}`]);
    expect(await page.textContent('#route-request')).toContain('→ no response');
  });

  it('clears the notices about reaching the API and loading items once a later load succeeds', async () => {
    // A notice about something else (a bad link) must stay.
    const page = await open('pr=&trace=nope');
    await page.waitForSelector('#items-list [data-item-id="lamp-1"]');
    const alerts = () => page.locator('#notices [role="alert"] .notice p').allTextContents();
    const unreachable = `Could not reach the API at ${apiUrl}`;

    down = true;
    await page.click('#reload-items');
    await page.click('#check-route');
    await page.fill('#create-name', 'Teapot');
    await page.fill('#create-price', '5');
    await page.click('#create-form button[type="submit"]');
    await expect
      .poll(async () => (await alerts()).map((text) => text.replace(unreachable, '<unreachable>')).sort(), {
        timeout: 15_000,
      })
      .toEqual([
        expect.stringMatching(/^Could not add the item: <unreachable>/),
        expect.stringMatching(/^Could not load items: <unreachable>/),
        expect.stringContaining('Ignored the ?trace= parameter'),
        expect.stringMatching(/^Route check failed: <unreachable>/),
      ]);

    down = false;
    await page.click('#reload-items');
    await page.waitForSelector('#items-list [data-item-id="lamp-1"]');
    await expect.poll(alerts).toEqual([expect.stringContaining('Ignored the ?trace= parameter')]);

    // The API's own reason a load failed goes too, once a later load works.
    await page.fill('#pr-input', '7');
    await page.press('#pr-input', 'Enter');
    await expect.poll(alerts, { timeout: 15_000 }).toContain(`Could not load items: ${STORE_7_DOWN}`);
    await page.click('#pr-clear');
    await page.waitForSelector('#items-list [data-item-id="lamp-1"]');
    await expect.poll(alerts).toEqual([expect.stringContaining('Ignored the ?trace= parameter')]);
  });

  it('after a 504 on save, checks the item: applied means saved, unchanged means say so', async () => {
    const page = await open('pr=');
    await page.waitForSelector('#items-list [data-item-id="lamp-1"]');
    await page.click('#items-list [data-item-id="lamp-1"] button:has-text("Edit")');
    await page.fill('#edit-name', 'Desk lamp (lost)');
    await page.click('#edit-form button[type="submit"]');
    await page.waitForSelector('#edit-error:not([hidden])');
    expect(await page.textContent('#edit-error')).toBe(
      'Not saved: the API timed out and the item is unchanged (still version 1). Save again.',
    );

    await page.fill('#edit-name', 'Desk lamp (slow)');
    await page.click('#edit-form button[type="submit"]');
    await page.waitForSelector('#edit-dialog', { state: 'hidden' });
    expect(await page.textContent('#notices [role="status"] .notice p')).toBe(
      'Saved “Desk lamp (slow)” (version 2): the API timed out, but the item now shows your change.',
    );
    expect(await page.textContent('#items-list [data-item-id="lamp-1"]')).toContain('v2');
  });

  it('after a 504 on save that cannot be checked either, says so in user terms and checks again on request', async () => {
    const page = await open('pr=');
    await page.waitForSelector('#items-list [data-item-id="lamp-1"]');
    await page.click('#items-list [data-item-id="lamp-1"] button:has-text("Edit")');
    expect(await page.isHidden('#edit-recheck')).toBe(true);
    // The save is applied, but the API times out, and so does the GET that would tell.
    slowReads = 1;
    await page.fill('#edit-name', 'Desk lamp (slow)');
    await page.click('#edit-form button[type="submit"]');
    await page.waitForSelector('#edit-error:not([hidden])');
    const said = (await page.textContent('#edit-error')) ?? '';
    expect(said).toBe(
      'Not confirmed: the server took too long, so your change may or may not have been saved, and the item could not be read back to find out. Your changes are still in the form: check again in a moment.',
    );
    // Instructions for API clients are not for the user.
    expect(said).not.toMatch(/ETag|GET the item|retrying/);
    expect(await page.inputValue('#edit-name')).toBe('Desk lamp (slow)');

    await page.click('#edit-recheck');
    await page.waitForSelector('#edit-dialog', { state: 'hidden' });
    expect(await page.textContent('#notices [role="status"] .notice p')).toBe(
      'Saved “Desk lamp (slow)” (version 2): the API timed out, but the item now shows your change.',
    );
    expect(puts).toEqual(['"1"']);
  });

  it('checks again after an unconfirmed save and, if nothing was written, says to save again', async () => {
    const page = await open('pr=');
    await page.waitForSelector('#items-list [data-item-id="lamp-1"]');
    await page.click('#items-list [data-item-id="lamp-1"] button:has-text("Edit")');
    slowReads = 1;
    await page.fill('#edit-name', 'Desk lamp (lost)');
    await page.click('#edit-form button[type="submit"]');
    await page.waitForSelector('#edit-recheck', { state: 'visible' });
    await page.click('#edit-recheck');
    await expect
      .poll(() => page.textContent('#edit-error'))
      .toBe('Not saved: the API timed out and the item is unchanged (still version 1). Save again.');
    expect(await page.isHidden('#edit-recheck')).toBe(true);
  });

  it('after a 504 on delete that cannot be checked either, says so in user terms; deleting again works', async () => {
    const page = await open('pr=');
    await page.waitForSelector('#items-list [data-item-id="lamp-1"]');
    await page.click('#items-list [data-item-id="lamp-1"] button:has-text("Delete")');
    slowDelete = true;
    slowReads = 1;
    await page.click('#delete-form button[type="submit"]');
    await page.waitForSelector('#delete-error:not([hidden])');
    const said = (await page.textContent('#delete-error')) ?? '';
    expect(said).toBe(
      'Not confirmed: the server took too long, so the item may or may not have been deleted, and it could not be read back to find out. Delete again in a moment: if it is already gone, you will be told.',
    );
    expect(said).not.toMatch(/ETag|GET the item|retrying/);

    await page.click('#delete-form button[type="submit"]');
    await page.waitForSelector('#delete-dialog', { state: 'hidden' });
    expect(deleted).toBe(true);
  });
});
