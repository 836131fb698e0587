import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type InstanceFaults, type Stack, startStack } from '@pr-canary/localdev';
import { launchChromium } from '@pr-canary/test-support/chromium';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll } from 'vitest';

const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BrowserSuite {
  /** The web UI's origin (a `vite preview` of a fresh production build). */
  readonly webUrl: string;
  /** The dev router's HTTP entry: the "edge" the UI talks to ('' without a stack: pass `?api=`). */
  readonly apiUrl: string;
  /** A fresh browser context (own localStorage) with one page at `path` of the web UI (1280×900 unless told). */
  openPage(pathAndQuery?: string, viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * Registers beforeAll/afterAll that build the UI, serve the build on an ephemeral port, start the local
 * stack (stable + PR 42 api+store + PR 7 store) allowing that origin via CORS, point the build's
 * runtime `config.json` at the stack's edge, and launch headless Chromium. Everything is torn down after.
 * The page and the API are on different origins, so every request with X-Canary is a real CORS request.
 * With `stack: false` no stack is started and pages point at an API of the test's own with `?api=`.
 */
export interface BrowserSuiteOptions {
  /** Start the local stack (default true); without it pages point at an API of the test's own. */
  stack?: boolean;
  /** Runs once the stack is up, before any page opens (e.g. to stop a canary). */
  onStackStarted?: (stack: Stack) => Promise<void>;
  /** Faults the stack's instances start with (`npm start -- --fault 42:store:fail=ListItems`). */
  faults?: readonly InstanceFaults[];
}

const pageConsoleErrors = new WeakMap<Page, string[]>();

/** What the page logged as console errors since it opened (a failed fetch logs one, a 404 too). */
export function consoleErrors(page: Page): readonly string[] {
  return pageConsoleErrors.get(page) ?? [];
}

export function useBrowserSuite(options: BrowserSuiteOptions = {}): BrowserSuite {
  const withStack = options.stack ?? true;
  let outDir: string | undefined;
  let server: PreviewServer | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const urls = { web: '', api: '' };

  // Three steps, each within the shared hook timeout: the build, then its server and the stack, then Chromium.
  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'pr-canary-web-'));
    await build({ root: WEB_ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  });

  beforeAll(async () => {
    const built = outDir;
    if (!built) throw new Error('the UI was not built (see the step before)');
    server = await preview({
      root: WEB_ROOT,
      logLevel: 'warn',
      build: { outDir: built },
      preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
    });
    urls.web = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}`;
    if (withStack) {
      stack = await startStack({
        web: false,
        corsOrigins: [urls.web],
        readyTimeoutMs: 15_000,
        ...(options.faults ? { faults: options.faults } : {}),
      });
      urls.api = stack.urls.api;
      await options.onStackStarted?.(stack);
      // The deploy-time config mechanism, exactly as a cluster would mount it.
      await writeFile(
        path.join(built, 'config.json'),
        JSON.stringify({ apiUrl: urls.api, tracesUrl: stack.urls.traces, stackUrl: stack.urls.control }),
      );
    }
  });

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await Promise.allSettled(contexts.map((context) => context.close()));
    await browser?.close();
    await stack?.stop();
    await server?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  return {
    get webUrl() {
      return urls.web;
    },
    get apiUrl() {
      return urls.api;
    },
    async openPage(pathAndQuery = '/', viewport = { width: 1280, height: 900 }) {
      if (!browser) throw new Error('the browser suite is not started');
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
      });
      pageConsoleErrors.set(page, errors);
      await page.goto(new URL(pathAndQuery, urls.web).toString());
      return page;
    },
  };
}

/** Calls the API from the test itself (another user, as far as the page is concerned). */
export async function apiRequest(
  apiUrl: string,
  method: string,
  apiPath: string,
  options: { canary?: string; body?: unknown; ifMatch?: number } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.canary) headers['x-canary'] = options.canary;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
  const response = await fetch(`${apiUrl}${apiPath}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
