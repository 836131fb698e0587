/**
 * declarativeNetRequest rules for a state: one rule per chosen entry (an origin, anchored by a
 * `urlFilter`; or a wildcard domain, by `requestDomains` plus a `regexFilter` that pins scheme and port),
 * nothing when not injecting. Pure, so the rules can be checked without a browser.
 */
import { CANARY_HEADER_CANONICAL } from '@pr-canary/contracts/canary-key';
import { urlConditionFor } from './origin';
import { type CanaryState, isInjecting } from './state';

/** The header as sent on the wire (servers match it case-insensitively). */
const INJECTED_HEADER = CANARY_HEADER_CANONICAL;

/**
 * Every kind of request a page makes to a canary that should reach it. Listed explicitly: without
 * `resourceTypes` Chrome leaves out main_frame navigations. Not included: `object` (plugins),
 * `csp_report` (the browser's own reports), `webbundle`, `webtransport`.
 */
export const INJECTED_RESOURCE_TYPES = [
  'main_frame',
  'sub_frame',
  'xmlhttprequest',
  'script',
  'stylesheet',
  'image',
  'font',
  'media',
  'websocket',
  'ping',
  'other',
] as const satisfies readonly `${chrome.declarativeNetRequest.ResourceType}`[];

export function rulesForState(state: CanaryState, now: number): chrome.declarativeNetRequest.Rule[] {
  if (!isInjecting(state, now) || state.pr === null) return [];
  const pr = state.pr;
  return state.origins.map((origin, index) => ({
    id: index + 1,
    priority: 1,
    action: {
      type: 'modifyHeaders' as chrome.declarativeNetRequest.RuleActionType.MODIFY_HEADERS,
      requestHeaders: [
        {
          header: INJECTED_HEADER,
          operation: 'set' as chrome.declarativeNetRequest.HeaderOperation.SET,
          value: pr,
        },
      ],
    },
    condition: {
      ...urlConditionFor(origin),
      resourceTypes: [...INJECTED_RESOURCE_TYPES] as chrome.declarativeNetRequest.ResourceType[],
    },
  }));
}
