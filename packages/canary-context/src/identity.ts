import type { Track } from '@pr-canary/contracts/canary-key';
import { formatServedBy, isValidEntry, type ServedByEntry } from '@pr-canary/contracts/served-by';
import { currentScope } from './context';

/** Who this process is: its service name, its track (`CANARY_TRACK`) and its version. */
export interface InstanceIdentity {
  service: string;
  track: Track;
  version: string;
}

/** This instance's own served-by entry. */
export function identityEntry(identity: InstanceIdentity): ServedByEntry {
  return { service: identity.service, track: identity.track, version: identity.version };
}

/** Own entry followed by the entries collected from downstream calls in the current scope. */
export function servedByChain(identity: InstanceIdentity): ServedByEntry[] {
  return [identityEntry(identity), ...(currentScope()?.downstream ?? [])];
}

/** Fails fast at startup (rather than on the first response) for an identity that cannot be sent. */
export function assertValidIdentity(identity: InstanceIdentity): void {
  if (!isValidEntry(identityEntry(identity))) {
    throw new TypeError(
      'instance identity cannot be sent as served-by: service must be a token (e.g. api-service), version printable ASCII',
    );
  }
}

/**
 * The served-by value of a response: `own` followed by what its calls collected. Formatted once per
 * chain an instance sees again and again — none, or one downstream entry (a frozen entry from the
 * client interceptor's parse cache, so its identity stands for its content) — and each time otherwise.
 */
export function servedByFormatter(own: ServedByEntry): (downstream: readonly ServedByEntry[]) => string {
  const alone = formatServedBy([own]);
  const withOne = new WeakMap<ServedByEntry, string>();
  return (downstream) => {
    if (downstream.length === 0) return alone;
    const [first] = downstream;
    if (downstream.length > 1 || first === undefined || !Object.isFrozen(first))
      return formatServedBy([own, ...downstream]);
    let value = withOne.get(first);
    if (value === undefined) {
      value = formatServedBy([own, first]);
      withOne.set(first, value);
    }
    return value;
  };
}
