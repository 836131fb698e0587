import { currentScope } from './context';
import type { Track } from './key';
import type { ServedByEntry } from './served-by';

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
