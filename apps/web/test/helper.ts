import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '@pr-canary/test-support';
import { onTestFinished } from 'vitest';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Reply = (request: RecordedRequest, response: ServerResponse) => void;

/**
 * A real HTTP server on 127.0.0.1:0 that answers with `reply` and records what it received; closed when
 * the test finishes. Lets the API client be tested over real sockets with exact headers.
 */
export async function startFakeApi(reply: Reply): Promise<{ baseUrl: string; requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      reply(recorded, res);
    });
  });
  const listening = await listenOnLoopback(server);
  onTestFinished(() => listening.close());
  return { baseUrl: listening.url, requests };
}

export function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

export const SAMPLE_ITEM = {
  id: 'item-1',
  name: 'Lamp',
  description: '',
  priceCents: 1999,
  version: 3,
  createdAt: '2026-11-22T03:00:00.000Z',
  updatedAt: '2026-11-22T03:05:00.000Z',
};
