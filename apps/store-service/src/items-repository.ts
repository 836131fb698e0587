import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ItemOutput } from '@pr-canary/proto';
import {
  ItemAlreadyExistsError,
  ItemNotFoundError,
  StoreUnavailableError,
  VersionConflictError,
} from './errors';
import { newItemId } from './ids';
import { decodePageToken, encodePageToken, type ListKey, tableTag } from './page-token';

/**
 * Key design: one table, composite key (pk, sk). Every item lives in the partition pk = "ITEM" with
 * sk = its id. A Query on that partition returns items in id order with DynamoDB's own pagination,
 * and ids are UUIDv7, so id order is creation order. The price is one partition's throughput
 * (about 1,000 writes/s and 3,000 reads/s), ample for a catalogue; a larger store would shard the
 * list partition (pk = "ITEM#<n>") and merge pages. The composite key keeps that change additive.
 */
export const LIST_PARTITION = 'ITEM';
const TABLE_READY_TIMEOUT_MS = 30_000;
const TABLE_POLL_MS = 100;

/** A stored item is exactly the contract's `store.v1.Item` (the generated type, never a copy). */
export type Item = ItemOutput;

export interface ItemFields {
  name: string;
  description: string;
  priceCents: number;
}

export interface ListPage {
  items: Item[];
  /** Empty when there are no more pages. */
  nextPageToken: string;
}

/** Every method takes an optional AbortSignal; aborting cancels the DynamoDB request in flight. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface ItemsRepository {
  get(id: string, options?: CallOptions): Promise<Item>;
  list(query: { pageSize: number; pageToken: string }, options?: CallOptions): Promise<ListPage>;
  create(fields: ItemFields, options?: CallOptions): Promise<Item>;
  update(id: string, expectedVersion: number, fields: ItemFields, options?: CallOptions): Promise<Item>;
  /** `expectedVersion` 0 deletes whatever version is current. */
  delete(id: string, expectedVersion: number, options?: CallOptions): Promise<void>;
  /** Every item in id order, one DynamoDB page (at most `pageSize` items, default 1 MB) at a time. */
  export(options?: CallOptions & { pageSize?: number }): AsyncIterable<Item>;
}

/** What a stored record must be, field by field, to be handed out as an item. */
const STORED_ITEM_FIELDS: Readonly<Record<keyof StoredItem, (value: unknown) => boolean>> = {
  pk: (v) => v === LIST_PARTITION,
  sk: (v) => typeof v === 'string',
  name: (v) => typeof v === 'string',
  description: (v) => typeof v === 'string',
  priceCents: (v) => Number.isInteger(v) && (v as number) >= 0,
  version: (v) => Number.isInteger(v) && (v as number) > 0,
  createdAt: (v) => typeof v === 'string',
  updatedAt: (v) => typeof v === 'string',
};

const STORED_ITEM_FIELD_NAMES = Object.keys(STORED_ITEM_FIELDS) as readonly (keyof StoredItem)[];

/** A record in the table that is not a well-formed item (written by something else, or corrupted). */
export class MalformedItemError extends Error {
  override readonly name = 'MalformedItemError';
  constructor(readonly fields: readonly string[]) {
    super(`a stored item is malformed: ${fields.join(', ')}`);
  }
}

export interface ItemsRepositoryDeps {
  client: DynamoDBDocumentClient;
  table: string;
  /**
   * Told about every request that failed as StoreUnavailableError (table missing, DynamoDB down), so
   * readiness can react at once instead of at its next check (see table-monitor.ts).
   */
  onUnavailable?: (error: StoreUnavailableError) => void;
  /** Id generator; tests inject a fixed one to prove that create never overwrites. */
  newId?: () => string;
}

export function createItemsRepository(deps: ItemsRepositoryDeps): ItemsRepository {
  const { client, table, newId = newItemId, onUnavailable } = deps;
  const keyOf = (id: string) => ({ pk: LIST_PARTITION, sk: id });
  /** This table's tag in its page tokens: worked out once, not per ListItems. */
  const tokenTag = tableTag(table);
  const sendClassified = <Out>(
    options: CallOptions,
    send: (http: { abortSignal?: AbortSignal }) => Promise<Out>,
  ): Promise<Out> => sendReporting(options, send, onUnavailable);

  async function get(id: string, options: CallOptions = {}): Promise<Item> {
    const out = await sendClassified(options, (http) =>
      client.send(new GetCommand({ TableName: table, Key: keyOf(id), ConsistentRead: true }), http),
    );
    if (!out.Item) {
      throw new ItemNotFoundError(id);
    }
    return toItem(out.Item);
  }

  /** After a failed condition: was the item missing, or at another version? */
  async function explainConditionFailure(id: string, expectedVersion: number, options: CallOptions) {
    const current = await get(id, options);
    return new VersionConflictError(id, expectedVersion, current.version);
  }

  async function queryPage(
    exclusiveStartKey: ListKey | undefined,
    limit: number | undefined,
    options: CallOptions,
  ) {
    const out = await sendClassified(options, (http) =>
      client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': LIST_PARTITION },
          ExclusiveStartKey: exclusiveStartKey,
          Limit: limit,
          ConsistentRead: true,
        }),
        http,
      ),
    );
    return { items: (out.Items ?? []).map(toItem), lastKey: out.LastEvaluatedKey };
  }

  return {
    get,

    async list({ pageSize, pageToken }, options = {}) {
      const startKey = pageToken ? decodePageToken(pageToken, LIST_PARTITION, tokenTag) : undefined;
      // One item more than the page: whether it comes says whether there is a next page. DynamoDB's
      // LastEvaluatedKey alone names one whenever the limit was reached, so a last page that was
      // exactly full promised a next one, which came back empty.
      const page = await queryPage(startKey, pageSize + 1, options);
      const items = page.items.slice(0, pageSize);
      const last = items.at(-1);
      const more = page.items.length > pageSize;
      return { items, nextPageToken: more && last ? encodePageToken(keyOf(last.id), tokenTag) : '' };
    },

    async create(fields, options = {}) {
      const now = new Date().toISOString();
      const item: Item = { id: newId(), ...fields, version: 1, createdAt: now, updatedAt: now };
      try {
        await sendClassified(options, (http) =>
          client.send(
            new PutCommand({
              TableName: table,
              Item: { ...keyOf(item.id), ...withoutId(item) },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
            http,
          ),
        );
      } catch (error) {
        throw error instanceof ConditionalCheckFailedException ? new ItemAlreadyExistsError(item.id) : error;
      }
      return item;
    },

    async update(id, expectedVersion, fields, options = {}) {
      try {
        const out = await sendClassified(options, (http) =>
          client.send(
            new UpdateCommand({
              TableName: table,
              Key: keyOf(id),
              UpdateExpression:
                'SET #name = :name, #description = :description, #priceCents = :priceCents, #version = #version + :one, #updatedAt = :now',
              ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
              ExpressionAttributeNames: {
                '#name': 'name',
                '#description': 'description',
                '#priceCents': 'priceCents',
                '#version': 'version',
                '#updatedAt': 'updatedAt',
              },
              ExpressionAttributeValues: {
                ':name': fields.name,
                ':description': fields.description,
                ':priceCents': fields.priceCents,
                ':expected': expectedVersion,
                // Counted by DynamoDB: any version a client may name (up to 2^53 - 1) can be sent as
                // it is, where `expectedVersion + 1` of the largest was a number the SDK refuses to send.
                ':one': 1,
                ':now': new Date().toISOString(),
              },
              ReturnValues: 'ALL_NEW',
            }),
            http,
          ),
        );
        return toItem(out.Attributes);
      } catch (error) {
        throw error instanceof ConditionalCheckFailedException
          ? await explainConditionFailure(id, expectedVersion, options)
          : error;
      }
    },

    async delete(id, expectedVersion, options = {}) {
      const versionMatters = expectedVersion !== 0;
      try {
        await sendClassified(options, (http) =>
          client.send(
            new DeleteCommand({
              TableName: table,
              Key: keyOf(id),
              ConditionExpression: versionMatters
                ? 'attribute_exists(pk) AND #version = :expected'
                : 'attribute_exists(pk)',
              ExpressionAttributeNames: versionMatters ? { '#version': 'version' } : undefined,
              ExpressionAttributeValues: versionMatters ? { ':expected': expectedVersion } : undefined,
            }),
            http,
          ),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) {
          throw error;
        }
        throw versionMatters
          ? await explainConditionFailure(id, expectedVersion, options)
          : new ItemNotFoundError(id);
      }
    },

    async *export(options = {}) {
      let startKey: ListKey | undefined;
      do {
        const page = await queryPage(startKey, options.pageSize, options);
        yield* page.items;
        startKey = page.lastKey as ListKey | undefined;
      } while (startKey);
    },
  };
}

/**
 * Creates the table if it does not exist and waits until it is ACTIVE. Meant for local stacks and
 * tests (DYNAMODB_CREATE_TABLE=true); real tables belong to infrastructure code.
 */
export async function ensureTable(deps: { client: DynamoDBDocumentClient; table: string }): Promise<void> {
  const { client, table } = deps;
  if ((await describeTableStatus(client, table)) === undefined) {
    await createTable(client, table);
  }
  const deadline = Date.now() + TABLE_READY_TIMEOUT_MS;
  while ((await describeTableStatus(client, table)) !== 'ACTIVE') {
    if (Date.now() > deadline) {
      throw new Error(`table ${table} did not become ACTIVE within ${TABLE_READY_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, TABLE_POLL_MS));
  }
}

/** The table's status (`ACTIVE`, `CREATING`, …), or undefined when it does not exist. */
export async function describeTableStatus(
  client: DynamoDBDocumentClient,
  table: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: table }), { abortSignal: signal });
    return out.Table?.TableStatus;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      return undefined;
    }
    throw error;
  }
}

/** Creates the table (PAY_PER_REQUEST, pk/sk); one that already exists is fine. */
export async function createTable(
  client: DynamoDBDocumentClient,
  table: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    // Another instance created it first: fine, we wait for ACTIVE either way.
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) {
      throw error;
    }
  }
}

/** An item as the table holds it: keyed by partition and id (`sk`), the rest as the item itself. */
type StoredItem = Omit<Item, 'id'> & { pk: typeof LIST_PARTITION; sk: string };

function toItem(record: Record<string, unknown> | undefined): Item {
  // Every GetItem reads through here: a loop that allocates nothing while the record is good.
  for (const field of STORED_ITEM_FIELD_NAMES)
    if (!STORED_ITEM_FIELDS[field](record?.[field]))
      throw new MalformedItemError(
        STORED_ITEM_FIELD_NAMES.filter((f) => !STORED_ITEM_FIELDS[f](record?.[f])),
      );
  const stored = record as unknown as StoredItem;
  return {
    id: stored.sk,
    name: stored.name,
    description: stored.description,
    priceCents: stored.priceCents,
    version: stored.version,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

function withoutId(item: Item): Omit<Item, 'id'> {
  const { id: _id, ...rest } = item;
  return rest;
}

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * Sends one request with the caller's AbortSignal and turns "the table does not exist" and "DynamoDB
 * is unreachable, throttling or failing on its side" into StoreUnavailableError (reported to
 * `onUnavailable`). Everything else (conditional failures, aborts, validation errors) passes through.
 */
async function sendReporting<Out>(
  options: CallOptions,
  send: (http: { abortSignal?: AbortSignal }) => Promise<Out>,
  onUnavailable: ((error: StoreUnavailableError) => void) | undefined,
): Promise<Out> {
  options.signal?.throwIfAborted();
  try {
    return await send({ abortSignal: options.signal });
  } catch (error) {
    const unavailable = classifyUnavailable(error);
    if (!unavailable) throw error;
    onUnavailable?.(unavailable);
    throw unavailable;
  }
}

/** The StoreUnavailableError `error` amounts to, or undefined when it is not about availability. */
function classifyUnavailable(error: unknown): StoreUnavailableError | undefined {
  if (error instanceof Error && error.name === 'ResourceNotFoundException') {
    return new StoreUnavailableError({ cause: error, reason: 'table_missing' });
  }
  return isUnavailable(error) ? new StoreUnavailableError({ cause: error }) : undefined;
}

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const fault = (error as { $fault?: string }).$fault;
  const code = (error as { code?: string }).code;
  return (
    THROTTLING_ERRORS.has(error.name) ||
    (fault === 'server' && error.name !== 'AbortError') ||
    error.name === 'TimeoutError' ||
    (code !== undefined && NETWORK_ERROR_CODES.has(code))
  );
}
