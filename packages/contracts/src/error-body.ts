/**
 * The one JSON error body of every HTTP endpoint pr-canary serves — the services, the dev router, the
 * local stack's control endpoint and trace receiver, a service's fault admin:
 * `{ statusCode, error, message, code }`. `error` is the status's reason phrase, `message` says what
 * is wrong in words a person reads (never the request's own input), `code` is stable for programs.
 * The readers (the web UI, the extension, the CLI) read this shape; only Node code makes one, so this
 * module (unlike the rest of the package) uses `node:http` for the reason phrases.
 */
import { type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES } from 'node:http';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: string;
}

/** The status line's reason phrase (`Not Found`); 499 is nginx's `Client Closed Request`. */
export function reasonPhrase(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? (statusCode === 499 ? 'Client Closed Request' : 'Error');
}

/** The code of a status when nothing more specific is known: its reason phrase, `NOT_FOUND`. */
export function statusErrorCode(statusCode: number): string {
  return reasonPhrase(statusCode)
    .toUpperCase()
    .replace(/[^A-Z]+/g, '_');
}

export function errorBody(statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, error: reasonPhrase(statusCode), message, code };
}

/**
 * A request Node's HTTP parser refused (`clientError`: headers over its limit, a request that is not
 * HTTP/1.1, one not received in time), as the error body a server answers before closing the socket —
 * the api and the dev router in front of it answer alike. Only the error's code is read: the error
 * carries the raw bytes, which are never echoed.
 */
export function parserErrorBody(nodeErrorCode: string | undefined): ErrorBody {
  switch (nodeErrorCode) {
    case 'HPE_HEADER_OVERFLOW':
      return errorBody(431, 'HEADERS_TOO_LARGE', 'the request line and headers are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return errorBody(408, 'REQUEST_TIMEOUT', 'the request was not received in time');
    default:
      return errorBody(400, 'BAD_REQUEST', 'the request is not valid HTTP/1.1');
  }
}

/**
 * The answer to an `Expect` other than 100-continue (RFC 9110 §10.1.1: 417), before any of the body is
 * read — the connection is closed after it. The api and the dev router in front of it answer alike.
 */
export const UNMET_EXPECTATION_BODY: ErrorBody = errorBody(
  417,
  'EXPECTATION_FAILED',
  'the only expectation this server meets is 100-continue',
);

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Answers `res` with the error body, as the services' framework does (JSON, utf-8, a length) — unless
 * a response is already under way or the client has gone, when there is nothing left to say.
 */
export function sendErrorBody(res: ServerResponse, body: ErrorBody, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(body.statusCode, {
    ...headers,
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

/**
 * The whole HTTP/1.1 response carrying the error body, for a socket no response object owns (a
 * request Node's parser refused, a CONNECT): `headers` first, then the body's type and length, and
 * `connection: close` — the caller closes the socket after writing it.
 */
export function rawErrorResponse(body: ErrorBody, headers: Readonly<Record<string, string>> = {}): string {
  const json = JSON.stringify(body);
  const head = Object.entries({
    ...headers,
    'content-type': JSON_TYPE,
    'content-length': String(Buffer.byteLength(json)),
    connection: 'close',
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `HTTP/1.1 ${body.statusCode} ${body.error}\r\n${head}\r\n${json}`;
}
