import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '@pr-canary/contracts/error-body';
import { addressedToThisMachine } from '@pr-canary/contracts/local-host';
import type { FaultInjector } from './fault-injector';
import { FaultSpecError, formatFaultSpec, parseFaultSpec } from './faults';

/** The admin path on the metrics port. */
export const FAULTS_PATH = '/faults';
const MAX_BODY_BYTES = 4096;

/**
 * `GET /faults` (what is in force), `PUT /faults` (replace: the compact spec as text/plain or the JSON
 * form as application/json), `DELETE /faults` (clear). Answers JSON `{faults, spec}`, or the one error
 * body (`@pr-canary/contracts/error-body`; 400 `BAD_FAULT_SPEC` with a message saying what is wrong with
 * the spec), or 403 for a request not addressed to this machine (DNS rebinding, as the stack's control
 * endpoint refuses it). Returns false for any other path, so the metrics server can answer it. Mounted only where faults are allowed (see `CANARY_FAULTS_ADMIN`).
 */
export function handleFaultAdmin(
  injector: FaultInjector,
  req: IncomingMessage,
  res: ServerResponse,
  /** The address the server listens on: a request may name it as well as localhost. */
  listenHost?: string,
): boolean {
  const path = (req.url ?? '').split('?', 1)[0];
  if (path !== FAULTS_PATH) return false;
  const answer = (status: number, body: object) =>
    res
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(`${JSON.stringify(body)}\n`);
  // Even a read: what an instance fails on is nobody else's business, and a rebinding page gets nothing.
  if (!addressedToThisMachine(req.headers.host, listenHost)) {
    req.resume();
    answer(
      403,
      errorBody(
        403,
        'FORBIDDEN',
        'the faults endpoint answers requests addressed to localhost only (Host names another machine)',
      ),
    );
    return true;
  }
  const current = () => ({ faults: formatFaultSpec(injector.spec), spec: injector.spec });
  if (req.method === 'GET') {
    answer(200, current());
    return true;
  }
  if (req.method === 'DELETE') {
    injector.set(parseFaultSpec('none'));
    answer(200, current());
    return true;
  }
  if (req.method !== 'PUT') {
    res.setHeader('allow', 'GET, PUT, DELETE');
    answer(405, errorBody(405, 'METHOD_NOT_ALLOWED', 'use GET, PUT or DELETE'));
    return true;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      if (!refused)
        answer(413, errorBody(413, 'TOO_LARGE', `a fault spec is at most ${MAX_BODY_BYTES} bytes`));
      refused = true;
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    try {
      injector.set(parseFaultSpec(Buffer.concat(chunks).toString('utf8')));
      answer(200, current());
    } catch (error) {
      if (!(error instanceof FaultSpecError)) throw error;
      answer(400, errorBody(400, 'BAD_FAULT_SPEC', error.message));
    }
  });
  return true;
}
