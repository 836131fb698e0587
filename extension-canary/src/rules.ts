/**
 * declarativeNetRequest rules for a state: for each chosen entry one rule per scheme, its page scheme
 * (http/https) and its WebSocket scheme (ws/wss), since Chrome matches a WebSocket handshake by its ws://
 * URL. An origin is anchored by a `urlFilter`, a wildcard domain by `requestDomains` plus a `regexFilter`
 * that pins scheme and port. Nothing when not injecting. Pure, so the rules can be checked without a browser.
 */
import { CANARY_HEADER_CANONICAL } from '@pr-canary/contracts/canary-key';
import { schemesOf, urlConditionFor } from './origin';
import { type CanaryState, isInjecting } from './state';

/** The header as sent on the wire (servers match it case-insensitively). */
const INJECTED_HEADER = CANARY_HEADER_CANONICAL;

/**
 * Every kind of http(s) request a page makes to a canary that should reach it. Listed explicitly:
 * without `resourceTypes` Chrome leaves out main_frame navigations. Not included: `object` (plugins),
 * `csp_report` (the browser's own reports), `webbundle`, `webtransport`. WebSocket handshakes have
 * ws(s):// URLs and their own rule (`WEBSOCKET_RESOURCE_TYPES`).
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
  'ping',
  'other',
] as const satisfies readonly `${chrome.declarativeNetRequest.ResourceType}`[];

/** What the ws(s):// rule of an entry matches: the handshake (Chrome's type for any ws:// request). */
export const WEBSOCKET_RESOURCE_TYPES = [
  'websocket',
] as const satisfies readonly `${chrome.declarativeNetRequest.ResourceType}`[];

export function rulesForState(state: CanaryState, now: number): chrome.declarativeNetRequest.Rule[] {
  if (!isInjecting(state, now) || state.pr === null) return [];
  const pr = state.pr;
  const conditions = state.origins.flatMap((entry) => {
    const [page, webSocket] = schemesOf(entry);
    return [
      { ...urlConditionFor(page), resourceTypes: [...INJECTED_RESOURCE_TYPES] },
      { ...urlConditionFor(webSocket), resourceTypes: [...WEBSOCKET_RESOURCE_TYPES] },
    ];
  });
  return conditions.map((condition, index) => ({
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
      ...condition,
      resourceTypes: condition.resourceTypes as chrome.declarativeNetRequest.ResourceType[],
    },
  }));
}
