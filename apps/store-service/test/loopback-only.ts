/**
 * Setup file of every store-service test: watches every TCP client socket this test process opens
 * (Node publishes each one on the `net.client.socket` diagnostics channel — http, http2, grpc-js and
 * the AWS SDK alike) and fails the test during which one tried an address other than loopback. Local
 * work never reaches for a cloud address — in particular the EC2 instance metadata service at
 * 169.254.169.254, which the SDK's default credential chain dials when no credentials are configured.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { afterAll, afterEach, expect } from 'vitest';

const offLoopback: string[] = [];

/** The off-loopback connection attempts since the last call (and forgets them). */
export function takeOffLoopbackConnections(): string[] {
  return offLoopback.splice(0);
}

function isLoopbackAddress(ip: string): boolean {
  return ip === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(ip);
}

function watchSocket(message: unknown): void {
  const { socket } = message as { socket: Socket };
  // Emitted for every address tried, before the SYN is sent, whether or not it then connects.
  socket.on('connectionAttempt', (ip: string, port: number) => {
    if (!isLoopbackAddress(ip)) offLoopback.push(`${ip}:${port}`);
  });
}

diagnosticsChannel.subscribe('net.client.socket', watchSocket);

afterEach(() => {
  expect(takeOffLoopbackConnections(), 'connections attempted off loopback').toEqual([]);
});

// A setup file runs again before each test file, in the shared worker too: without this, every file
// there added one more listener to each socket (11 files: Node's MaxListenersExceededWarning).
afterAll(() => {
  diagnosticsChannel.unsubscribe('net.client.socket', watchSocket);
});
