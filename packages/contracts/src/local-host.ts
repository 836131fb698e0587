/**
 * Whether a request's `Host` names this machine's loopback (or `listenHost`, the address the server
 * listens on), for the local-only endpoints that change what a process does (the stack's control
 * endpoint, an instance's `/faults`). A web page whose own name was re-pointed at 127.0.0.1 (DNS
 * rebinding) can reach a loopback port, but its requests still carry its own name: they must not set
 * faults or verdicts.
 */
export function addressedToThisMachine(host: string | undefined, listenHost?: string): boolean {
  if (host === undefined) return false;
  const name = (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':', 1)[0])
    ?.toLowerCase()
    .replace(/\.$/, '');
  if (name === 'localhost' || name === '127.0.0.1' || name === '[::1]') return true;
  if (listenHost === undefined) return false;
  return name === (listenHost.includes(':') ? `[${listenHost}]` : listenHost);
}
