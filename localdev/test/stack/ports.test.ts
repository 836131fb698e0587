import * as net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PortInUseError } from '../../src/stack/ports';
import { startStack } from '../../src/stack/stack';

function occupyPort(host: string): Promise<number> {
  const server = net.createServer();
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return new Promise((resolve) =>
    server.listen({ port: 0, host, ipv6Only: host === '::1' }, () =>
      resolve((server.address() as net.AddressInfo).port),
    ),
  );
}

describe('stack ports', () => {
  it('refuses to start when fixed ports are taken (127.0.0.1 or ::1), naming every one, its role and flag', async () => {
    const onIpv4 = await occupyPort('127.0.0.1');
    // `localhost` may resolve to ::1: a program there would get the requests meant for the stack.
    const onIpv6 = await occupyPort('::1');
    const lines: string[] = [];
    const attempt = startStack({
      ports: { dynamodb: onIpv4, http: onIpv6 },
      log: (line) => lines.push(line),
    });
    await expect(attempt).rejects.toThrow(PortInUseError);
    const message = await attempt.then(
      () => '',
      (error: Error) => error.message,
    );
    expect(message).toBe(
      [
        '2 ports the stack needs are already in use; stop whatever uses them or pick other ports:',
        `  port ${onIpv6} (dev router HTTP entry): change it with --http-port <port>`,
        `  port ${onIpv4} (dynalite (local DynamoDB)): change it with --dynamodb-port <port>`,
      ].join('\n'),
    );
    expect(lines).toEqual([]);
  });
});
