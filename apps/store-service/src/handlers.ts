import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { ItemsServiceHandlers } from '@pr-canary/proto';
import { type HandlerLogger, toStatus } from './errors';
import type { ItemsRepository } from './items-repository';
import { validateCreate, validateDelete, validateGet, validateList, validateUpdate } from './validation';

export interface HandlerDeps {
  repo: ItemsRepository;
  logger: HandlerLogger;
}

type AnyServerCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/**
 * ItemsService handlers. Each one validates its request, refuses to start DynamoDB work for a call
 * that is already cancelled or past its deadline, hands the repository an AbortSignal that fires
 * when the call is cancelled (client cancel, deadline, disconnect), and maps every error to one
 * gRPC status in `toStatus` (errors.ts).
 */
export function createItemsHandlers(deps: HandlerDeps): ItemsServiceHandlers {
  const { repo, logger } = deps;
  const unary = <Req, Res>(method: string, work: (request: Req, signal: AbortSignal) => Promise<Res>) =>
    unaryHandler(logger, method, work);

  return {
    GetItem: unary('GetItem', async (request, signal) => {
      const { id } = validateGet(request);
      return { item: await repo.get(id, { signal }) };
    }),
    ListItems: unary('ListItems', async (request, signal) => {
      const page = await repo.list(validateList(request), { signal });
      return { items: page.items, nextPageToken: page.nextPageToken };
    }),
    CreateItem: unary('CreateItem', async (request, signal) => ({
      item: await repo.create(validateCreate(request), { signal }),
    })),
    UpdateItem: unary('UpdateItem', async (request, signal) => {
      const { id, expectedVersion, fields } = validateUpdate(request);
      return { item: await repo.update(id, expectedVersion, fields, { signal }) };
    }),
    DeleteItem: unary('DeleteItem', async (request, signal) => {
      const { id, expectedVersion } = validateDelete(request);
      await repo.delete(id, expectedVersion, { signal });
      return {};
    }),
    ExportItems: (call) => {
      void exportItems(repo, logger, call);
    },
  };
}

function unaryHandler<Req, Res>(
  logger: HandlerLogger,
  method: string,
  work: (request: Req, signal: AbortSignal) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const refusal = refuseFinishedCall(call);
    if (refusal) {
      return callback(refusal);
    }
    const { signal, release } = cancellationSignal(call);
    work(call.request, signal).then(
      (response) => {
        release();
        callback(null, response);
      },
      (error: unknown) => {
        release();
        callback(toStatus(error, { logger, method, cancelled: signal.aborted }));
      },
    );
  };
}

/**
 * Streams every item with backpressure: after a write the stream says is over its buffer, waits
 * for `drain` before reading the next item. Stops reading DynamoDB as soon as the call is cancelled.
 */
async function exportItems(
  repo: ItemsRepository,
  logger: HandlerLogger,
  call: grpc.ServerWritableStream<unknown, unknown>,
): Promise<void> {
  const refusal = refuseFinishedCall(call);
  if (refusal) {
    call.emit('error', refusal);
    return;
  }
  const { signal, release } = cancellationSignal(call);
  try {
    for await (const item of repo.export({ signal })) {
      if (!call.write({ item })) {
        await once(call, 'drain', { signal });
      }
    }
    release();
    call.end();
  } catch (error) {
    release();
    call.emit('error', toStatus(error, { logger, method: 'ExportItems', cancelled: signal.aborted }));
  }
}

/** A status to answer with instead of starting work, when the call is already over. */
function refuseFinishedCall(call: AnyServerCall): Partial<grpc.StatusObject> | undefined {
  if (call.cancelled) {
    return { code: grpc.status.CANCELLED, details: 'call cancelled before it started' };
  }
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  if (deadlineMs <= Date.now()) {
    return { code: grpc.status.DEADLINE_EXCEEDED, details: 'deadline exceeded before the call started' };
  }
  return undefined;
}

/**
 * A signal that aborts when grpc-js reports the call cancelled (client cancel, deadline, disconnect)
 * while its work is still running. `release` once the work is over, before answering: grpc-js
 * reports every call "cancelled" after its status is sent (its cleanup), and aborting then would
 * build an abort reason for nothing on every call.
 */
function cancellationSignal(call: AnyServerCall): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onCancelled = () => controller.abort(new Error('gRPC call cancelled'));
  call.once('cancelled', onCancelled);
  return { signal: controller.signal, release: () => call.removeListener('cancelled', onCancelled) };
}
