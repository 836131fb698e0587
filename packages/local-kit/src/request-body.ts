/**
 * A request body read whole, at most `maxBytes` (after decompression), for the stack's small local
 * HTTP endpoints (the trace receiver, the control server). Over the cap it stops collecting, drains
 * the rest so the connection can still carry the answer, and rejects with a RequestBodyError the
 * caller answers with (413, or 415 for an encoding it does not take, 400 for a body it cannot read).
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export class RequestBodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: 'TOO_LARGE' | 'UNSUPPORTED_ENCODING' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

export interface RequestBodyOptions {
  maxBytes: number;
  /** Also take `content-encoding: gzip` (counted after decompression). Default: identity only. */
  gzip?: boolean;
}

export function readRequestBody(
  req: IncomingMessage,
  { maxBytes, gzip = false }: RequestBodyOptions,
): Promise<string> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && !(gzip && encoding === 'gzip')) {
    req.resume();
    return Promise.reject(
      new RequestBodyError(
        415,
        'UNSUPPORTED_ENCODING',
        gzip ? 'content-encoding must be gzip or absent' : 'content-encoding must be absent',
      ),
    );
  }
  const source = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        source.removeAllListeners('data');
        if (source !== req) source.destroy();
        req.resume();
        reject(new RequestBodyError(413, 'TOO_LARGE', `a body may be at most ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    source.on('error', () =>
      reject(new RequestBodyError(400, 'BAD_REQUEST', 'the body could not be read (bad gzip?)')),
    );
  });
}
