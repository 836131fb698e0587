import * as net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PortInUseError } from '../../src/stack/ports';
import { startStack } from '../../src/stack/stack';

function occupyPort(): Promise<number> {
  const server = net.createServer();
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

describe('stack ports', () => {
  it('refuses to start when a fixed port is taken, naming the port, its role and the flag', async () => {
    const port = await occupyPort();
    const lines: string[] = [];
    const attempt = startStack({ ports: { dynamodb: port }, log: (line) => lines.push(line) });
    await expect(attempt).rejects.toThrow(PortInUseError);
    await expect(attempt).rejects.toThrow(`port ${port} (dynalite (local DynamoDB)) is already in use`);
    await expect(attempt).rejects.toThrow('--dynamodb-port');
    expect(lines).toEqual([]);
  });
});
