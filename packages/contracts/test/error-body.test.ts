import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { errorBody, rawErrorResponse, sendErrorBody, statusErrorCode } from '../src/error-body';

/** A real server on an ephemeral port, closed when the test ends. */
async function listen(server: http.Server | net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

describe('the one JSON error body', () => {
  it('says the status in words and in a code programs can keep', () => {
    expect(errorBody(404, 'NO_ITEM', 'no such item')).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'no such item',
      code: 'NO_ITEM',
    });
    expect(statusErrorCode(405)).toBe('METHOD_NOT_ALLOWED');
    expect(errorBody(499, 'CLIENT_CLOSED', 'gone').error).toBe('Client Closed Request');
  });

  it('is sent on a response with its length and type, and never into one already under way', async () => {
    const port = await listen(
      http.createServer((req, res) => {
        if (req.url === '/late') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          sendErrorBody(res, errorBody(500, 'INTERNAL', 'too late'));
          res.end('ok');
          return;
        }
        sendErrorBody(res, errorBody(429, 'SLOW_DOWN', 'too many requests'), { 'retry-after': '1' });
      }),
    );
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    expect(answer.status).toBe(429);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('retry-after')).toBe('1');
    const text = await answer.text();
    expect(answer.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text)).toEqual(errorBody(429, 'SLOW_DOWN', 'too many requests'));
    const late = await fetch(`http://127.0.0.1:${port}/late`);
    expect([late.status, await late.text()]).toEqual([200, 'ok']);
  });

  it('is written raw on a socket as a whole HTTP/1.1 response an HTTP client reads, then closed', async () => {
    const body = errorBody(431, 'HEADERS_TOO_LARGE', 'the request line and headers are too large — ✂');
    const port = await listen(
      net.createServer((socket) => {
        socket.once('data', () => socket.end(rawErrorResponse(body, { 'x-served-by': 'test' })));
      }),
    );
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    expect(answer.status).toBe(431);
    expect(answer.statusText).toBe('Request Header Fields Too Large');
    expect(answer.headers.get('x-served-by')).toBe('test');
    expect(answer.headers.get('connection')).toBe('close');
    expect(await answer.json()).toEqual(body);
  });
});
