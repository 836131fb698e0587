import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts } from '../src/index';

describe('freePort', () => {
  it('gives a port on 127.0.0.1 where a connection is refused', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const socket = connect(port, '127.0.0.1', () =>
        resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' })),
      );
      socket.once('error', resolve);
    });
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('gives several different ports at once (two freePort() calls in a row may give the same one)', async () => {
    const ports = await freePorts(8);
    expect(new Set(ports).size).toBe(8);
  });
});
