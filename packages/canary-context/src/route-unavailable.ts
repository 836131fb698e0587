import { PR_NUMBER_PATTERN, PR_NUMBER_SOURCE } from '@pr-canary/contracts/canary-key';
import { nodeServices } from '@pr-canary/contracts/services';

/**
 * The one message a router gives when the instance a request is routed to is not running — the dev
 * router's 503 / UNAVAILABLE (localdev), passed on by the api to its client. Built only from the route
 * (a validated PR number, a registered service name, fixed states), so it is safe to show: the api
 * passes a store UNAVAILABLE's details through only when they have exactly this shape.
 */

/** A routed service: a Node service of the registry (`@pr-canary/contracts/services`). */
export type RoutedServiceName = string;
/** Why a declared instance is not routable right now. */
export type UnavailableState = 'starting' | 'restarting' | 'stopped';

const MAX_RESTARTS_SHOWN = 999_999;

/**
 * `PR 42's store-service canary is declared but not running (restarting, 2 restarts so far)` or
 * `stable api-service is not running (starting)`.
 */
export function routeUnavailableMessage(
  target: { service: RoutedServiceName; pr: string | undefined },
  state: UnavailableState,
  restarts = 0,
): string {
  if (target.pr !== undefined && !PR_NUMBER_PATTERN.test(target.pr)) throw new Error('invalid PR number');
  if (!ROUTED_NAMES.includes(target.service)) throw new Error('not a registered service');
  const shown = Math.min(Math.max(0, Math.trunc(restarts)), MAX_RESTARTS_SHOWN);
  const count = shown > 0 ? `, ${shown} restart${shown === 1 ? '' : 's'} so far` : '';
  const subject =
    target.pr === undefined
      ? `stable ${target.service} is not running`
      : `PR ${target.pr}'s ${target.service} canary is declared but not running`;
  return `${subject} (${state}${count})`;
}

/** Registered names are RFC 1035 labels (the registry checks), so they need no escaping in a pattern. */
const ROUTED_NAMES = nodeServices().map((service) => service.name);
const SERVICE = `(?:${ROUTED_NAMES.join('|')})`;
const MESSAGE_SHAPE = new RegExp(
  `^(?:PR ${PR_NUMBER_SOURCE}'s ${SERVICE} canary is declared but not running|stable ${SERVICE} is not running) \\((?:starting|restarting|stopped)(?:, [1-9][0-9]{0,5} restarts? so far)?\\)$`,
);

/** Whether `text` is exactly a {@link routeUnavailableMessage} (and nothing else). */
export function isRouteUnavailableMessage(text: string): boolean {
  return text.length <= 200 && MESSAGE_SHAPE.test(text);
}
