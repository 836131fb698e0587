import * as net from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fastifyServer } from '../src/service-server';

describe('fastifyServer', () => {
  it('closes, cutting off a client that never finishes its body, once the force deadline passes', async () => {
    const app = Fastify();
    let arrived: () => void = () => {};
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    app.addHook('onRequest', async () => arrived());
    app.post('/items', async () => ({ ok: true }));
    const server = fastifyServer(app, 200);
    const port = await server.listen('127.0.0.1', 0);
    const client = net.connect(port, '127.0.0.1');
    onTestFinished(() => void client.destroy());
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    const clientClosed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    // Headers, then one chunk of a body that never ends: the request stays in flight.
    client.write(
      'POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n',
    );
    await requestArrived;
    await server.close();
    await clientClosed;
    // Cut off, not answered: the request never completed.
    expect(Buffer.concat(received).toString()).toBe('');
  });

  it('closes at once when nothing is in flight', async () => {
    const app = Fastify();
    const server = fastifyServer(app);
    await server.listen('127.0.0.1', 0);
    await server.close();
    expect(app.server.listening).toBe(false);
  });
});
