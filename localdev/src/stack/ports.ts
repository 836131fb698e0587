import * as net from 'node:net';

/** A fixed port the stack needs is taken: the message names the port, its role and the flag to change it. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly role: string,
    readonly flag: string,
  ) {
    super(
      `port ${port} (${role}) is already in use; stop whatever uses it or pick another port with ${flag} <port>`,
    );
  }
}

export interface PortClaim {
  port: number;
  role: string;
  flag: string;
}

/** Checks fixed (non-zero) ports up front, so the stack fails before starting anything. */
export async function assertPortsFree(claims: readonly PortClaim[], host: string): Promise<void> {
  for (const claim of claims) {
    if (claim.port !== 0 && !(await isFree(claim.port, host))) {
      throw new PortInUseError(claim.port, claim.role, claim.flag);
    }
  }
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Maps a listen error to {@link PortInUseError} when it is EADDRINUSE. */
export function explainListenError(error: unknown, claim: PortClaim): Error {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
    return new PortInUseError(claim.port, claim.role, claim.flag);
  return error instanceof Error ? error : new Error(String(error));
}
