export {
  type CanaryScope,
  createScope,
  currentCanaryKey,
  currentScope,
  runInScope,
  runWithCanary,
} from './context';
export { type InstanceIdentity, identityEntry, servedByChain } from './identity';
export {
  CANARY_BAGGAGE_KEY,
  CANARY_HEADER,
  CANARY_WARNING_HEADER,
  type CanaryKey,
  formatCanaryWarning,
  type InvalidReason,
  parseCanaryKey,
  parseTrack,
  SERVED_BY_HEADER,
  type Track,
  trackForKey,
} from './key';
export { formatServedBy, isValidEntry, parseServedBy, type ServedByEntry } from './served-by';
