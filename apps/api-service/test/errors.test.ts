/**
 * The gRPC → HTTP table, driven end to end: a real grpc-js ItemsService whose GetItem answers with
 * the status named by the requested id (the real store cannot produce most of them on demand).
 */
import * as grpc from '@grpc/grpc-js';
import {
  canaryServerInterceptor,
  createServiceMetrics,
  type InstanceIdentity,
  injectedFaultMessage,
  routeUnavailableMessage,
} from '@pr-canary/canary-context';
import { type ItemsServiceHandlers, itemsServiceDefinition } from '@pr-canary/proto';
import { bindOnLoopback } from '@pr-canary/test-support/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRPC_TO_HTTP_STATUS } from '../src/errors';
import { apiConfig, type RunningApi, startApi } from './helper';

const SECRET_DETAIL = 'dynamodb at 10.0.0.7 said: stack trace here';
const STORE_IDENTITY: InstanceIdentity = {
  service: 'store-service',
  track: 'stable',
  version: 'status-test',
};

const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
  callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in this test server' });

/** An item id (the ids the api lets through) that carries the number of a gRPC status in its last digits. */
const idFor = (name: keyof typeof grpc.status) =>
  `00000000-0000-7000-8000-${String(grpc.status[name]).padStart(12, '0')}`;

/** GetItem of this id answers as a store whose fault injector fired (`pr-canary fault …:error-rate=`). */
const INJECTED_ID = '00000000-0000-7000-8000-999999999999';

/** GetItem of this id answers as the dev router does for a PR canary that is restarting. */
const ROUTE_DOWN_ID = '00000000-0000-7000-8000-999999999998';

/** GetItem(id = idFor(STATUS_NAME)) fails with that status; details are a would-be leak for 5xx. */
const statusHandlers: ItemsServiceHandlers = {
  GetItem(call, callback) {
    if (call.request.id === INJECTED_ID)
      return callback({
        code: grpc.status.UNAVAILABLE,
        details: injectedFaultMessage({ delayMs: 0, error: { code: 'UNAVAILABLE', kind: 'error' } }),
      });
    if (call.request.id === ROUTE_DOWN_ID)
      return callback({
        code: grpc.status.UNAVAILABLE,
        details: routeUnavailableMessage({ service: 'store-service', pr: '42' }, 'restarting', 1),
      });
    const code = Number(call.request.id.slice(-12)) as grpc.status;
    const details = `${String(grpc.status[code]).toLowerCase()} details; ${SECRET_DETAIL}`;
    callback({ code, details });
  },
  ListItems: unimplemented,
  CreateItem: unimplemented,
  UpdateItem: unimplemented,
  DeleteItem: unimplemented,
  /** One item, then a failure: the HTTP stream has already started when the store gives up. */
  ExportItems(call) {
    call.write({ item: { id: 'first', name: 'first', priceCents: 1, version: 1 } });
    setTimeout(() => call.emit('error', { code: grpc.status.DATA_LOSS, details: SECRET_DETAIL }), 50);
  },
};

let server: grpc.Server | undefined;
let api: RunningApi;

beforeAll(async () => {
  const statusServer = new grpc.Server({
    interceptors: [
      canaryServerInterceptor({
        identity: STORE_IDENTITY,
        trustKey: true,
        metrics: createServiceMetrics({ identity: STORE_IDENTITY }),
      }),
    ],
  });
  server = statusServer;
  statusServer.addService(itemsServiceDefinition(), statusHandlers);
  const port = await bindOnLoopback(statusServer);
  api = await startApi(apiConfig({ STORE_ADDR: `127.0.0.1:${port}` }));
});

afterAll(async () => {
  await api?.close();
  server?.forceShutdown();
});

const EXPECTED: [keyof typeof grpc.status, number][] = [
  ['CANCELLED', 499],
  ['UNKNOWN', 500],
  ['INVALID_ARGUMENT', 400],
  ['DEADLINE_EXCEEDED', 504],
  ['NOT_FOUND', 404],
  ['ALREADY_EXISTS', 409],
  ['PERMISSION_DENIED', 403],
  ['RESOURCE_EXHAUSTED', 429],
  ['FAILED_PRECONDITION', 400],
  ['ABORTED', 409],
  ['OUT_OF_RANGE', 400],
  ['UNIMPLEMENTED', 501],
  ['INTERNAL', 500],
  ['UNAVAILABLE', 503],
  ['DATA_LOSS', 500],
  ['UNAUTHENTICATED', 401],
];

describe('gRPC status → HTTP status (grpc-gateway table)', () => {
  it('covers every non-OK gRPC status', () => {
    const names = Object.keys(grpc.status).filter((key) => Number.isNaN(Number(key)) && key !== 'OK');
    expect(EXPECTED.map(([name]) => name).sort()).toEqual(names.sort());
    for (const [name, httpStatus] of EXPECTED)
      expect(GRPC_TO_HTTP_STATUS[grpc.status[name]]).toBe(httpStatus);
  });

  it.each(EXPECTED)(
    'a store answering %s becomes HTTP %i with the status name as code',
    async (name, httpStatus) => {
      const response = await api.app.inject({ method: 'GET', url: `/api/items/${idFor(name)}` });
      expect(response.statusCode).toBe(httpStatus);
      const body = response.json();
      expect(body).toMatchObject({ statusCode: httpStatus, code: name });
      expect(body.error).toEqual(expect.any(String));
      if (httpStatus >= 500) {
        expect(body.message).not.toContain(SECRET_DETAIL);
        expect(body.message).not.toContain('details');
      } else {
        expect(body.message).toContain(`${name.toLowerCase()} details`);
      }
      expect(response.headers['x-served-by']).toContain('store-service;track="stable";version="status-test"');
    },
  );

  it('logs a 5xx with its error, and a 4xx not as an error', async () => {
    const before = api.logLines.length;
    await api.app.inject({ method: 'GET', url: `/api/items/${idFor('DATA_LOSS')}` });
    await api.app.inject({ method: 'GET', url: `/api/items/${idFor('NOT_FOUND')}` });
    const lines = api.logLines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    const failures = lines.filter((line) => line.msg === 'request failed');
    expect(failures).toHaveLength(1);
    expect(JSON.stringify(failures[0]?.err)).toContain('DATA_LOSS');
  });

  // Each names a state reported where it arose (the store logs its fault, the stack the instance down).
  it.each([
    ['an injected fault below (its fixed text)', INJECTED_ID, 'injected fault: error-rate (CANARY_FAULTS)'],
    [
      'a canary that is down, in the words of the router',
      ROUTE_DOWN_ID,
      "PR 42's store-service canary is declared but not running (restarting, 1 restart so far)",
    ],
  ])('passes on %s, and does not log it as a failure of its own', async (_what, id, message) => {
    const before = api.logLines.length;
    const response = await api.app.inject({ method: 'GET', url: `/api/items/${id}` });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'UNAVAILABLE', message });
    const lines = api.logLines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.msg === 'request failed')).toEqual([]);
  });

  it('cuts an NDJSON export off (no clean end) when the store fails midway', async () => {
    const response = await fetch(`${api.baseUrl}/api/items/export`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });
});
