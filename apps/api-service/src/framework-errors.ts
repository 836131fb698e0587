/**
 * Responses Fastify and Node write on their own, outside the request lifecycle (no hooks run, so no
 * X-Served-By, and their default bodies echo the raw URL): here they get the API's error shape,
 * fixed text and the canary headers like every other response.
 *
 * - `frameworkErrors`: a path with broken percent-encoding (FST_ERR_BAD_URL) and a path parameter
 *   longer than the router's `maxParamLength` (FST_ERR_MAX_PARAM_LENGTH).
 * - `clientErrorHandler`: requests Node's HTTP parser refuses (HPE_*), header overflow, timeouts —
 *   answered on the raw socket, since there is no request object.
 * - closing: while `app.close()` runs, new requests get 503 through the normal reply path (Fastify's
 *   own `return503OnClosing` answer bypasses hooks and is turned off).
 * - what Node answers on its own with an empty body, or not at all: an `Expect` other than
 *   100-continue (417), a CONNECT (the connection was dropped), an HTTP/1.1 request without a Host (400).
 *   Behind Traefik none of these reaches the api; a client on the pod's port (port-forward,
 *   telepresence) gets the contract's answer all the same.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type CanaryHeaderOptions,
  canaryHeaderLines,
  canaryResponseHeaders,
} from '@pr-canary/canary-context';
import {
  parserErrorBody,
  rawErrorResponse,
  sendErrorBody,
  UNMET_EXPECTATION_BODY,
} from '@pr-canary/contracts/error-body';
import { ITEM_ID_LENGTH } from '@pr-canary/contracts/item-id';
import { type ErrorBody, errorBody, validationMessage } from '@pr-canary/service-kit';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PATTERN_RULES } from './schemas';

/**
 * The router's limit on a path parameter is an item id's length: the only path parameter is an item
 * id, so every id is routed, and a longer one gets the schema's 400 from the router.
 */
export const MAX_PARAM_LENGTH = ITEM_ID_LENGTH;

function frameworkErrorBody(code: string | undefined): ErrorBody {
  switch (code) {
    case 'FST_ERR_BAD_URL':
      return errorBody(400, 'BAD_URL', 'the request path is not valid percent-encoded UTF-8');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return errorBody(
        400,
        'VALIDATION',
        validationMessage('params', { keyword: 'pattern', instancePath: '/id', params: {} }, PATTERN_RULES),
      );
    default:
      return errorBody(500, 'INTERNAL', 'internal error');
  }
}

/**
 * Fastify's `frameworkErrors` option. `corsHeaders` gives what the CORS plugin would have added for
 * the request's Origin (its hook never runs for these): without it a browser reads a network error,
 * not the 400.
 */
export function frameworkErrorHandler(
  opts: CanaryHeaderOptions,
  corsHeaders: (origin: string | undefined) => Record<string, string> = () => ({}),
) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const body = frameworkErrorBody(error.code);
    request.log.debug({ code: error.code, statusCode: body.statusCode }, 'framework error');
    const canary = canaryResponseHeaders(canaryHeaderLines(request.raw), opts);
    const cors = corsHeaders(request.headers.origin);
    const vary = [cors.vary, canary.vary].filter(Boolean).join(', ');
    return reply
      .code(body.statusCode)
      .headers({ ...canary, ...cors, ...(vary ? { vary } : {}) })
      .send(body);
  };
}

/**
 * Fastify's `clientErrorHandler`: Node's parser refused the request. The error carries the raw bytes
 * (`rawPacket`), so only its code is logged. Like Node's own handler, it answers only when no response
 * is under way on the socket (a pipelined request's response must not be cut into), then closes it.
 */
export function clientErrorHandler(opts: CanaryHeaderOptions, log: () => FastifyBaseLogger) {
  return (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const body = parserErrorBody(err.code);
    log().debug({ code: err.code, statusCode: body.statusCode }, 'client error');
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      socket.write(rawErrorResponse(body, canaryResponseHeaders(undefined, opts)));
      socket.destroySoon();
    } else {
      socket.destroy();
    }
  };
}

/**
 * Node's server options for the api: Node's own 400 for an HTTP/1.1 request without a Host has no
 * body and no X-Served-By, so Node lets it through and `installOwnAnswers` refuses it.
 */
export const NODE_ANSWER_OPTIONS = { requireHostHeader: false } as const;

const MISSING_HOST = errorBody(400, 'BAD_REQUEST', 'an HTTP/1.1 request needs a Host header');

/**
 * The api's answers where Fastify or Node would give their own. Through the reply, in one onRequest
 * hook (so the canary headers are set by the plugin's onSend):
 * - requests that arrive while the server closes: 503 (Fastify adds `Connection: close` itself);
 * - an HTTP/1.1 request without a Host: 400, as RFC 9112 §3.2 asks and the dev router answers.
 * On the server's events, where no request lifecycle runs (so the canary headers are set here):
 * - an `Expect` other than 100-continue: 417, and the connection closed (its body may follow);
 * - a CONNECT: 501, the api opens no tunnels, and the connection closed.
 */
export function installOwnAnswers(app: FastifyInstance, opts: CanaryHeaderOptions): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (closing)
      return reply
        .code(503)
        .send(errorBody(503, 'SHUTTING_DOWN', 'this instance is shutting down; retry the request'));
    if (request.headers.host === undefined && request.raw.httpVersion !== '1.0')
      return reply.code(400).send(MISSING_HOST);
    done();
  });
  app.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    sendErrorBody(res, UNMET_EXPECTATION_BODY, {
      ...canaryResponseHeaders(canaryHeaderLines(req), opts),
      connection: 'close',
    });
  });
  // Node hands a plain HTTP server's sockets over as net.Sockets.
  app.server.on('connect', (req: IncomingMessage, duplex: Duplex) => {
    const socket = duplex as Socket;
    socket.on('error', () => socket.destroy());
    socket.end(
      rawErrorResponse(
        errorBody(501, 'NOT_IMPLEMENTED', 'this server opens no CONNECT tunnels'),
        canaryResponseHeaders(canaryHeaderLines(req), opts),
      ),
    );
    // Node's server lets a client half-close, and the socket has left its connection list: closed
    // here once the answer is out, whatever the client does.
    socket.destroySoon();
  });
}
