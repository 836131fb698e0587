export { type DynaliteOptions, type RunningDynalite, startDynalite } from './dynalite';
export {
  type ChildEvent,
  type ChildExit,
  describeExit,
  type OutputStream,
  WatchedChild,
  type WatchedChildSpec,
} from './watched-child';
