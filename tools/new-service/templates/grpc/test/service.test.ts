import * as grpc from '@grpc/grpc-js';
import { healthClientConstructor } from '@pr-canary/proto';
import { describe, expect, it } from 'vitest';
import { GRPC_SERVICE_NAME } from '../src/contract';
import { serve } from './helper';

type Answer = { error: grpc.ServiceError | null; response: unknown; servedBy: unknown };

function sayHello(
  client: Awaited<ReturnType<typeof serve>>['client'],
  name: string,
  canary?: string,
): Promise<Answer> {
  const metadata = new grpc.Metadata();
  if (canary !== undefined) metadata.set('x-canary', canary);
  return new Promise((resolve) => {
    let servedBy: unknown;
    const call = client.SayHello({ name }, metadata, (error, response) =>
      resolve({ error, response, servedBy }),
    );
    call.on('metadata', (headers) => {
      servedBy = headers.get('x-served-by')[0];
    });
  });
}

describe('__service_name__', () => {
  it('answers SayHello with the track that served it and says so in x-served-by', async () => {
    const { client } = await serve({ CANARY_TRACK: 'pr-42' });
    const answer = await sayHello(client, 'tester', '42');
    expect(answer.error).toBeNull();
    expect(answer.response).toEqual({ message: 'hello tester', track: 'pr-42' });
    expect(answer.servedBy).toBe('__service_name__;track="pr-42";version="1.2.3"');
  });

  it('refuses an empty name with INVALID_ARGUMENT', async () => {
    const { client } = await serve();
    const answer = await sayHello(client, '');
    expect(answer.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('fails the calls CANARY_FAULTS names, with the fault said to be injected', async () => {
    const { client } = await serve({ CANARY_FAULTS: 'fail=SayHello' });
    const answer = await sayHello(client, 'tester');
    expect(answer.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(answer.error?.details).toMatch(/injected fault/);
  });

  it('reports SERVING on grpc.health.v1 for the server and the service', async () => {
    const { port } = await serve();
    const Health = healthClientConstructor();
    const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      for (const service of ['', GRPC_SERVICE_NAME]) {
        const status = await new Promise((resolve, reject) =>
          health.Check({ service }, (error, response) => (error ? reject(error) : resolve(response?.status))),
        );
        expect(status, service).toBe('SERVING');
      }
    } finally {
      health.close();
    }
  });
});
