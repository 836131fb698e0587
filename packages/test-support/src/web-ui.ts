/// <reference lib="dom" />
/**
 * The web UI as a page shows it, for the browser suites that drive it (the UI's own and the
 * extension's against the local stack). Reads what a user sees, through the UI's data attributes.
 */
import type { Page } from 'playwright-core';

export interface ShownHop {
  service: string | undefined;
  kind: string | undefined;
  text: string;
}

/** The hops the route inspector shows, in order. */
export function shownHops(page: Page): Promise<ShownHop[]> {
  return page.$$eval('#hops .hop', (hops) =>
    hops.map((hop) => ({
      service: (hop as HTMLElement).dataset.service,
      kind: (hop as HTMLElement).dataset.kind,
      text: hop.textContent ?? '',
    })),
  );
}
