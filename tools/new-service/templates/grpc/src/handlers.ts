/**
 * The RPCs. Errors are gRPC statuses, mapped here and nowhere else: `return callback({ code, details })`
 * with a fixed message (never an echo of the input).
 */
import { status } from '@grpc/grpc-js';
import type { InstanceIdentity } from '@pr-canary/canary-context';
import type { __Pascal__ServiceHandlers } from './contract';

const MAX_NAME_LENGTH = 200;

export function create__Pascal__Handlers(deps: { identity: InstanceIdentity }): __Pascal__ServiceHandlers {
  return {
    SayHello(call, callback) {
      const name = call.request.name;
      if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
        return callback({
          code: status.INVALID_ARGUMENT,
          details: `name must be 1 to ${MAX_NAME_LENGTH} characters`,
        });
      }
      callback(null, { message: `hello ${name}`, track: deps.identity.track });
    },
  };
}
