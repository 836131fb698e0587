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
 */

import type { Socket } from 'node:net';
import {
  type CanaryHeaderOptions,
  canaryHeaderLines,
  canaryResponseHeaders,
} from '@pr-canary/canary-context';
import { parserErrorBody, rawErrorResponse } from '@pr-canary/contracts/error-body';
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
 * Answers requests that arrive while the server closes with the API's 503 (through the reply, so
 * the canary headers are set by the plugin's onSend). Fastify adds `Connection: close` itself.
 */
export function installClosingAnswer(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    reply
      .code(503)
      .send(errorBody(503, 'SHUTTING_DOWN', 'this instance is shutting down; retry the request'));
  });
}
