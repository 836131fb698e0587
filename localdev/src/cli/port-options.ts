import { LOCAL_CONTROL_URL, LOCAL_STACK_PORTS } from '@pr-canary/contracts/local-stack';
import type { StackPorts } from '../stack/stack';

/** The ports `npm start` claims by default, each set by its `--<name>-port` option. */
export const DEFAULT_PORTS: Readonly<StackPorts> = LOCAL_STACK_PORTS;

/** The control endpoint of a stack on the default ports: where `pr-canary analyze` and `fault` look unless given `--control`. */
export const DEFAULT_CONTROL_URL = LOCAL_CONTROL_URL;

/** The option that sets one of the stack's ports. */
export const portFlag = (name: keyof StackPorts) => `--${name}-port` as const;

/**
 * `npm start` options for every port of the stack: the one in `ports` where given, else 0 (the OS
 * picks a free one) — so that a test never collides with another test or a developer's running stack.
 */
export function everyPortOption(ports: Partial<StackPorts> = {}): string[] {
  return (Object.keys(DEFAULT_PORTS) as (keyof StackPorts)[]).flatMap((name) => [
    portFlag(name),
    String(ports[name] ?? 0),
  ]);
}
