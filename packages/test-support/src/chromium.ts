/**
 * Real headless Chromium for the browser suites (web UI and extension), driven by playwright-core:
 * one executable, one set of flags, one place to change them. Debian's `chromium` (CI installs it with
 * apt; playwright-core never downloads a browser).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

/** No sandbox (CI runs as root), no GPU, and nothing that calls home or updates itself. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** A headless Chromium with a throwaway profile per context (`browser.newContext()`). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_EXECUTABLE, headless: true, args: [...CHROMIUM_ARGS] });
}

/** A fresh profile folder; `remove()` deletes it. */
export async function newProfileDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pr-canary-profile-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A headless Chromium on the persistent profile in `userDataDir` (what an extension needs: it loads
 * only into a persistent context), with `args` added to the usual flags.
 */
export function launchChromiumContext(
  userDataDir: string,
  args: readonly string[] = [],
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_EXECUTABLE,
    headless: true,
    args: [...args, ...CHROMIUM_ARGS],
  });
}
