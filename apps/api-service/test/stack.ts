/**
 * Builds the real stack for tests: in-process dynalite on 127.0.0.1:0, real store-service gRPC
 * servers (a stable one and a `pr-7` canary) over one table, a wire tap in front of them that
 * records metadata and routes `x-canary: 7` to the canary (what the mesh does), and the api built
 * with `buildApp` — used through `inject()` and through a real listening socket.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createServiceMetrics, type InstanceIdentity, type ServiceMetrics } from '@pr-canary/canary-context';
import { createLogger } from '@pr-canary/service-kit';
import { listenGrpc as listenStore } from '@pr-canary/service-kit/grpc';
import {
  buildApp as buildStoreApp,
  createDocumentClient,
  createItemsRepository,
  ensureTable,
} from '@pr-canary/store-service';
import {
  type RunningDynalite,
  type ServiceProcess,
  startDynalite,
  startServiceProcess,
} from '@pr-canary/test-support';
import type { FastifyInstance } from 'fastify';
import { buildApp, identityFromConfig } from '../src/app';
import { type ApiConfig, loadConfig } from '../src/config';
import { createStoreClient, type StoreClient } from '../src/store-client';
import { startWireTap, type WireTap } from './wire-tap';

export const CANARY_PR = '7';
export const TEST_VERSION = '0.4.0-test';
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** api-service or store-service as a real child process, started exactly like its `npm start`. */
export function startService(
  workspace: 'api-service' | 'store-service',
  env: Record<string, string>,
  preload?: readonly string[],
): ServiceProcess {
  return startServiceProcess({ cwd: path.join(REPO_ROOT, 'apps', workspace), env, preload });
}

/** A fresh table in `endpoint` (created the way store-service's own startup does). */
export async function createTable(endpoint: string): Promise<string> {
  const table = `items-${randomUUID()}`;
  const client = createDocumentClient({ region: 'us-east-1', endpoint });
  try {
    await ensureTable({ client, table });
  } finally {
    client.destroy();
  }
  return table;
}

export interface RunningStore {
  port: number;
  addr: string;
  identity: InstanceIdentity;
  close(): Promise<void>;
}

export interface StoreOptions {
  endpoint: string;
  table: string;
  track?: InstanceIdentity['track'];
  /** Bind this port (to restart a store where it was); default ephemeral. */
  port?: number;
}

/** The real store-service server (the store's buildApp) on 127.0.0.1. */
export async function startStore(options: StoreOptions): Promise<RunningStore> {
  const identity: InstanceIdentity = {
    service: 'store-service',
    track: options.track ?? 'stable',
    version: TEST_VERSION,
  };
  const client = createDocumentClient({ region: 'us-east-1', endpoint: options.endpoint });
  const server = buildStoreApp({
    repo: createItemsRepository({ client, table: options.table }),
    logger: createLogger({ identity, level: process.env.STORE_LOG ?? 'silent' }),
    identity,
    metrics: createServiceMetrics({ identity }),
  });
  const port = await listenStore(server, '127.0.0.1', options.port ?? 0);
  return {
    port,
    addr: `127.0.0.1:${port}`,
    identity,
    close: async () => {
      server.forceShutdown();
      client.destroy();
    },
  };
}

/**
 * The api's config from an explicit environment (never process.env). Deadlines are generous by
 * default because test machines are busy; tests about deadlines set their own.
 */
export function apiConfig(env: Record<string, string>): ApiConfig {
  return loadConfig({
    SERVICE_VERSION: TEST_VERSION,
    METRICS_PORT: '0',
    LOG_LEVEL: 'debug',
    STORE_DEADLINE_MS: '10000',
    READINESS_DEADLINE_MS: '5000',
    ...env,
  });
}

export interface RunningApi {
  app: FastifyInstance;
  config: ApiConfig;
  store: StoreClient;
  metrics: ServiceMetrics;
  /** Every JSON log line the api wrote. */
  logLines: string[];
  /** `http://127.0.0.1:<port>` of the listening server. */
  baseUrl: string;
  close(): Promise<void>;
}

/** The api as the tests run it, not yet ready: buildApp with a real store client, logging into `logLines`. */
export function buildApi(config: ApiConfig): Omit<RunningApi, 'baseUrl'> {
  const identity = identityFromConfig(config);
  const logLines: string[] = [];
  const logger = createLogger({
    identity,
    level: config.LOG_LEVEL,
    destination: { write: (line: string) => logLines.push(line) },
  });
  const metrics = createServiceMetrics({ identity });
  const store = createStoreClient({
    addr: config.STORE_ADDR,
    deadlineMs: config.STORE_DEADLINE_MS,
    metrics,
    channelOptions: { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 200 },
  });
  const app = buildApp({ config, store, logger, metrics });
  return {
    app,
    config,
    store,
    metrics,
    logLines,
    close: async () => {
      await app.close();
      store.close();
    },
  };
}

/** buildApi, listening on 127.0.0.1:0 as well as usable with inject(). */
export async function startApi(config: ApiConfig): Promise<RunningApi> {
  const api = buildApi(config);
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = api.app.server.address() as AddressInfo;
  return { ...api, baseUrl: `http://127.0.0.1:${port}` };
}

export interface Stack {
  dynalite: RunningDynalite;
  table: string;
  stableStore: RunningStore;
  canaryStore: RunningStore;
  tap: WireTap;
  api: RunningApi;
}

/**
 * dynalite → stable store + `pr-7` store (same table) → wire tap routing on `x-canary` → api.
 * `env` overrides the api's environment (STORE_ADDR points at the tap).
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const db = await startDynalite();
  const table = await createTable(db.endpoint);
  const stableStore = await startStore({ endpoint: db.endpoint, table });
  const canaryStore = await startStore({ endpoint: db.endpoint, table, track: `pr-${CANARY_PR}` });
  const tap = await startWireTap((metadata) =>
    metadata.get('x-canary').map(String).join() === CANARY_PR ? canaryStore.addr : stableStore.addr,
  );
  const api = await startApi(apiConfig({ STORE_ADDR: tap.addr, ...env }));
  return { dynalite: db, table, stableStore, canaryStore, tap, api };
}

export async function stopStack(stack: Stack): Promise<void> {
  await stack.api.close();
  await stack.tap.close();
  await stack.canaryStore.close();
  await stack.stableStore.close();
  await stack.dynalite.close();
}
