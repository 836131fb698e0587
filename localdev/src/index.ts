export { type CommandOutput, runCanaryCommand } from './cli/canary-command';
export { type GrpcRouter, startGrpcRouter } from './router/grpc-router';
export { type HttpRouter, startHttpRouter } from './router/http-router';
export { type Address, LiveRoutes, type ResolvedRoute } from './routing/live-routes';
export { type CanarySpec, loadCanaryFile, parseCanaryFlags } from './stack/canary-config';
export { PortInUseError } from './stack/ports';
export {
  DEMO_CANARIES,
  DEMO_CANARIES_FILE,
  type InstanceFaults,
  type InstanceInfo,
  type Stack,
  StackError,
  type StackOptions,
  type StackPorts,
  startStack,
} from './stack/stack';
