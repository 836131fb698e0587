import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowserSuite } from './browser-helper';

/**
 * A store that answers with an error on purpose (a fault: `npx pr-canary fault 42:store:fail=ListItems`),
 * on the real local stack. The request reached every hop, and every hop says so in X-Served-By: the
 * inspector must show both hops and not claim any are missing.
 */
const suite = useBrowserSuite({
  faults: [{ service: 'store-service', track: 'pr-42', spec: 'fail=ListItems' }],
});

function verdicts(page: Page): Promise<string[]> {
  return page.$$eval('#verdicts .verdict', (found) => found.map((v) => v.textContent ?? ''));
}

describe('web UI in Chromium when PR 42’s store fails ListItems', () => {
  it('lists both hops and does not call any missing', async () => {
    const page = await suite.openPage('/?pr=42');
    await expect
      .poll(() => page.textContent('#items-status'), { timeout: 15_000 })
      .toMatch(/^Items for PR 42 could not be loaded: /);
    expect(
      await page.$$eval('#hops .hop', (hops) => hops.map((hop) => (hop as HTMLElement).dataset.service)),
    ).toEqual(['api-service', 'store-service']);
    const shown = await verdicts(page);
    expect(shown).toEqual([expect.stringMatching(/^⚠The request failed with HTTP 5\d\d: /)]);
    expect(shown.join(' ')).not.toContain('missing');
  });
});
