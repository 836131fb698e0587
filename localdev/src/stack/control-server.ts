/**
 * The stack's control endpoint (loopback only): which instances run where (their metrics ports too),
 * their faults, and the latest verdict per PR. `pr-canary fault` and `pr-canary analyze` talk to it;
 * the web UI reads verdicts from it (CORS for the web UI's origins, GET only).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseVerdict, type Verdict } from '@pr-canary/canary-analysis/verdict';
import { FaultSpecError, formatFaultSpec, parseFaultSpec } from '@pr-canary/canary-context/faults';
import { isTrack, PR_NUMBER_PATTERN } from '@pr-canary/contracts/canary-key';
import { type ErrorBody, errorBody, statusErrorCode } from '@pr-canary/contracts/error-body';
import { addressedToThisMachine } from '@pr-canary/contracts/local-host';
import { SERVICE_NAME_SHAPE } from '@pr-canary/contracts/served-by';
import { RequestBodyError, readRequestBody } from '@pr-canary/local-kit/request-body';
import { listen } from '../router/listen';

export interface ControlInstance {
  service: string;
  track: string;
  version: string;
  state: string;
  port: number | null;
  metricsPort: number | null;
}

export interface ControlTarget {
  /** The router's HTTP entry. */
  apiUrl(): string;
  instances(): ControlInstance[];
  /** Sets an instance's faults (the instance validates them) and keeps them for its restarts; resolves with the spec in force. */
  setFaults(service: string, track: string, spec: string): Promise<string>;
}

export interface ControlServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1 << 20;
const MAX_VERDICTS = 50;

/**
 * The codes of the control endpoint's refusals a client acts on (`pr-canary fault`: a usage error): they
 * tell its answer from another server's 404 or 400 on that port.
 */
export const CONTROL_CODES = {
  /** 404: the stack runs no such instance. */
  noSuchInstance: 'NO_SUCH_INSTANCE',
  /** 400: the spec is malformed, or the instance refused it. */
  badFaultSpec: 'BAD_FAULT_SPEC',
  /** 409: the instance is not running (yet): its faults cannot be set now. */
  notRunning: 'INSTANCE_NOT_RUNNING',
} as const;

/** A refusal of the control endpoint: its status, words and (by default the status's) code. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string = statusErrorCode(status),
  ) {
    super(message);
  }
}

export async function startControlServer(opts: {
  target: ControlTarget;
  port: number;
  host: string;
  /** Browser origins that may read verdicts (the web UI). */
  corsOrigins: () => readonly string[];
}): Promise<ControlServer> {
  const verdicts = new Map<string, Verdict>();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const known = error instanceof ControlError || error instanceof RequestBodyError;
      const body = known
        ? errorBody(error.status, error.code, error.message)
        : errorBody(500, 'INTERNAL', 'control endpoint failed');
      send(res, body.statusCode, body);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!addressedToThisMachine(req.headers.host, opts.host))
      throw new ControlError(
        403,
        'the control endpoint answers requests addressed to localhost only (Host names another machine)',
      );
    const origin = req.headers.origin;
    if (origin && opts.corsOrigins().includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
    }
    const path = (req.url ?? '/').split('?', 1)[0] as string;
    const parts = path.split('/').filter((p) => p !== '');
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') return void res.writeHead(204).end();
    if (parts[0] === 'instances' && parts.length === 1 && method === 'GET')
      return send(res, 200, { apiUrl: opts.target.apiUrl(), instances: opts.target.instances() });
    if (parts[0] === 'faults') return faults(req, res, parts.slice(1), method);
    if (parts[0] === 'verdicts') return verdictRoute(req, res, parts.slice(1), method);
    throw new ControlError(404, 'no such control path (try /instances, /faults, /verdicts)');
  }

  async function faults(
    req: IncomingMessage,
    res: ServerResponse,
    rest: string[],
    method: string,
  ): Promise<void> {
    if (rest.length === 0 && method === 'GET') {
      const list = await Promise.all(
        opts.target.instances().map(async (i) => ({
          service: i.service,
          track: i.track,
          state: i.state,
          faults: await instanceFaults(i),
        })),
      );
      return send(res, 200, { instances: list });
    }
    const [track, service] = rest;
    if (rest.length !== 2 || !track || !service || !isTrack(track) || !SERVICE_NAME_SHAPE.test(service))
      throw new ControlError(404, 'faults of one instance are at /faults/<stable|pr-N>/<service>');
    /** The instance the path names: not found (the control endpoint's own code) when the stack runs none. */
    const named = (): ControlInstance => {
      const found = opts.target.instances().find((i) => i.service === service && i.track === track);
      if (!found)
        throw new ControlError(
          404,
          `this stack runs no ${service} on ${track}`,
          CONTROL_CODES.noSuchInstance,
        );
      return found;
    };
    if (method === 'GET') {
      const instance = named();
      return send(res, 200, {
        service,
        track,
        state: instance.state,
        faults: await instanceFaults(instance),
      });
    }
    if (method !== 'PUT' && method !== 'DELETE') throw new ControlError(405, 'use GET, PUT or DELETE');
    let spec = 'none';
    if (method === 'PUT') {
      try {
        spec = formatFaultSpec(parseFaultSpec(await readRequestBody(req, { maxBytes: MAX_BODY_BYTES })));
      } catch (error) {
        if (error instanceof FaultSpecError)
          throw new ControlError(400, error.message, CONTROL_CODES.badFaultSpec);
        throw error;
      }
    }
    named();
    const inForce = await opts.target.setFaults(service, track, spec);
    send(res, 200, { service, track, faults: inForce });
  }

  async function verdictRoute(
    req: IncomingMessage,
    res: ServerResponse,
    rest: string[],
    method: string,
  ): Promise<void> {
    if (rest.length === 0 && method === 'GET')
      return send(res, 200, {
        verdicts: [...verdicts.values()].map(({ pr, outcome, createdAt }) => ({ pr, outcome, createdAt })),
      });
    const [pr] = rest;
    if (rest.length !== 1 || !pr || !PR_NUMBER_PATTERN.test(pr))
      throw new ControlError(404, 'a verdict is at /verdicts/<PR number>');
    if (method === 'GET') {
      const verdict = verdicts.get(pr);
      if (!verdict)
        throw new ControlError(404, `no verdict for PR ${pr} yet: run npx pr-canary analyze --pr ${pr}`);
      return send(res, 200, verdict);
    }
    if (method !== 'PUT') throw new ControlError(405, 'use GET or PUT');
    const text = await readRequestBody(req, { maxBytes: MAX_BODY_BYTES });
    let verdict: Verdict;
    try {
      verdict = parseVerdict(JSON.parse(text));
    } catch {
      throw new ControlError(400, 'the body is not a pr-canary verdict');
    }
    if (verdict.pr !== pr) throw new ControlError(400, `the verdict is for PR ${verdict.pr}, not ${pr}`);
    verdicts.delete(pr);
    verdicts.set(pr, verdict);
    if (verdicts.size > MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value as string);
    send(res, 200, { pr, outcome: verdict.outcome });
  }

  await listen(server, opts.port, opts.host);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What a running instance says its faults are; `unreachable` if it does not answer. */
async function instanceFaults(instance: ControlInstance): Promise<string> {
  if (instance.state !== 'running' || !instance.metricsPort) return instance.state;
  const response = await fetch(`http://127.0.0.1:${instance.metricsPort}/faults`, {
    signal: AbortSignal.timeout(3_000),
  }).catch(() => undefined);
  if (!response?.ok) return 'unreachable';
  const answer = (await response.json().catch(() => ({}))) as { faults?: unknown };
  return typeof answer.faults === 'string' ? answer.faults : 'unreachable';
}

/** PUTs a spec to an instance's admin endpoint; the instance's own 400 message is passed on. */
export async function putInstanceFaults(metricsPort: number, spec: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/faults`, {
    method: 'PUT',
    body: spec,
    headers: { 'content-type': 'text/plain' },
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
  if (!response) throw new ControlError(503, 'the instance did not answer');
  const answer = (await response.json().catch(() => ({}))) as { faults?: string } & Partial<ErrorBody>;
  if (response.status === 400 && typeof answer.message === 'string')
    throw new ControlError(400, answer.message, CONTROL_CODES.badFaultSpec);
  if (!response.ok || typeof answer.faults !== 'string')
    throw new ControlError(502, `the instance refused the faults (HTTP ${response.status})`);
  return answer.faults;
}

function send(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return;
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(`${JSON.stringify(value)}\n`);
}
