/** The RPCs of __proto_pkg__.v1.__Pascal__Service. Errors go through `toStatus` (errors.ts), nowhere else. */
import type { InstanceIdentity } from '@pr-canary/canary-context';
import type { __Pascal__ServiceHandlers } from './contract';
import { type ErrorLogger, InvalidArgumentError, toStatus } from './errors';

const MAX_NAME_LENGTH = 200;

export function create__Pascal__Handlers(deps: {
  identity: InstanceIdentity;
  logger: ErrorLogger;
}): __Pascal__ServiceHandlers {
  return {
    SayHello(call, callback) {
      try {
        const name = call.request.name;
        if (name.length === 0 || name.length > MAX_NAME_LENGTH)
          throw new InvalidArgumentError(`name must be 1 to ${MAX_NAME_LENGTH} characters`);
        callback(null, { message: `hello ${name}`, track: deps.identity.track });
      } catch (error) {
        callback(toStatus(error, deps.logger));
      }
    },
  };
}
