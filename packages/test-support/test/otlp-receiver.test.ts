import { afterEach, describe, expect, it } from 'vitest';
import { type OtlpReceiver, SPAN_KIND_SERVER, startOtlpReceiver } from '../src/index';

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const TRACE_ID = 'a'.repeat(32);
const exportBody = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api-service' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: TRACE_ID,
              spanId: 'b'.repeat(16),
              parentSpanId: 'c'.repeat(16),
              name: 'GET /api/route',
              kind: SPAN_KIND_SERVER,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000001000000',
              attributes: [
                { key: 'canary.key', value: { stringValue: '42' } },
                { key: 'http.status_code', value: { intValue: 200 } },
              ],
            },
          ],
        },
      ],
    },
  ],
};

function post(path: string, body: string) {
  return fetch(`${receiver?.endpoint}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
}

describe('startOtlpReceiver', () => {
  it('keeps each exported span with its service name and flattened attributes', async () => {
    receiver = await startOtlpReceiver();
    expect((await post('/v1/traces', JSON.stringify(exportBody))).status).toBe(200);
    expect(receiver.spans).toEqual([
      {
        service: 'api-service',
        traceId: TRACE_ID,
        spanId: 'b'.repeat(16),
        parentSpanId: 'c'.repeat(16),
        name: 'GET /api/route',
        kind: SPAN_KIND_SERVER,
        startUnixNano: '1700000000000000000',
        durationMs: 1,
        attributes: { 'canary.key': '42', 'http.status_code': '200' },
        status: 'unset',
      },
    ]);
  });

  it('refuses other paths (404) and bodies that are not JSON (400), keeping nothing (the product receiver underneath)', async () => {
    receiver = await startOtlpReceiver();
    expect((await post('/v1/metrics', JSON.stringify(exportBody))).status).toBe(404);
    expect((await post('/v1/traces', '{not json')).status).toBe(400);
    expect(receiver.spans).toEqual([]);
  });
});
