import * as net from 'node:net';

export interface PortClaim {
  port: number;
  role: string;
  flag: string;
}

/**
 * Fixed ports the stack needs are taken: the message names every one at once, with its role and the
 * flag that changes it.
 */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(readonly claims: readonly PortClaim[]) {
    const list = claims.map(
      (claim) => `  port ${claim.port} (${claim.role}): change it with ${claim.flag} <port>`,
    );
    super(
      `${claims.length === 1 ? 'a port the stack needs is' : `${claims.length} ports the stack needs are`} already in use; stop whatever uses ${claims.length === 1 ? 'it' : 'them'} or pick other ports:\n${list.join('\n')}`,
    );
  }
}

/**
 * Every address a local URL may reach: the stack binds 127.0.0.1, but `localhost` (printed in the
 * banner, typed in browsers) may resolve to ::1 — a port taken there would send those requests to
 * another program.
 */
const LOOPBACKS = ['127.0.0.1', '::1'] as const;

/** Checks all fixed (non-zero) ports up front, on both loopbacks, so the stack fails before starting anything. */
export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  const fixed = claims.filter((claim) => claim.port !== 0);
  const taken = await Promise.all(fixed.map((claim) => isTaken(claim.port)));
  const busy = fixed.filter((_claim, index) => taken[index]);
  if (busy.length > 0) throw new PortInUseError(busy);
}

async function isTaken(port: number): Promise<boolean> {
  for (const host of LOOPBACKS) {
    if ((await tryListen(port, host)) === 'taken') return true;
  }
  return false;
}

/** `free`, `taken`, or `unsupported` (e.g. no IPv6 on this machine: nothing can listen there either). */
function tryListen(port: number, host: string): Promise<'free' | 'taken' | 'unsupported'> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? 'taken' : 'unsupported'),
    );
    probe.listen({ port, host, exclusive: true, ipv6Only: host === '::1' }, () =>
      probe.close(() => resolve('free')),
    );
  });
}

/** Maps a listen error to {@link PortInUseError} when it is EADDRINUSE. */
export function explainListenError(error: unknown, claim: PortClaim): Error {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return new PortInUseError([claim]);
  return error instanceof Error ? error : new Error(String(error));
}
