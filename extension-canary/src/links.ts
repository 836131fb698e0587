/**
 * Where the popup sends a tester to look rather than read: the local web UI (what `npm start` serves)
 * with the PR chosen, scrolled to its PR-vs-stable verdict; the route inspector is on the same page.
 */
import { PR_NUMBER_PATTERN } from '@pr-canary/contracts/canary-key';

export const LOCAL_WEB_UI = 'http://localhost:5173';

/** The web UI's verdict view for a PR; undefined for anything that is not a PR number. */
export function verdictLink(pr: string | null, webUi: string = LOCAL_WEB_UI): string | undefined {
  if (pr === null || !PR_NUMBER_PATTERN.test(pr)) return undefined;
  const url = new URL(webUi);
  url.searchParams.set('pr', pr);
  url.hash = 'verdict';
  return url.toString();
}
