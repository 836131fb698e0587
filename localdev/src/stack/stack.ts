import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { Track } from '@pr-canary/contracts/canary-key';
import type { RoutedService } from '@pr-canary/contracts/route-rule';
import { isListeningMessage } from '@pr-canary/service-kit/listening';
import { startGrpcRouter } from '../router/grpc-router';
import { startHttpRouter } from '../router/http-router';
import { type InstanceState, LiveRoutes } from '../routing/live-routes';
import type { CanarySpec } from './canary-config';
import type { ParsedLine } from './log-format';
import { type ChildEvent, ManagedChild } from './managed-child';
import { assertPortsFree, explainListenError, type PortClaim } from './ports';
import { createPrefixer, type Prefixer } from './prefix';
import { type RestartPolicy, type SupervisedSpec, Supervisor } from './supervisor';

/**
 * The local stack: dynalite, stable api + store, PR canaries, the dev router (HTTP edge + gRPC mesh)
 * and optionally the web dev server — every part a real process or socket.
 *
 * Failure policy, as a process manager's: every part that dies (stable, canary, dynalite, web) is
 * reported with its last lines and restarted with backoff (see supervisor.ts); while it is down, the
 * routes to it answer 503 / UNAVAILABLE naming it — a canary's key never falls back to stable. A part
 * that keeps crashing is given up on: a canary then stays down (its requests keep failing), anything
 * else stops the whole stack, so it is never silently half up.
 */

export interface StackPorts {
  /** Dev router HTTP entry (the edge, Traefik's part). */
  http: number;
  /** Dev router gRPC entry (the mesh, Linkerd's part); every api instance dials it as STORE_ADDR. */
  grpc: number;
  dynamodb: number;
  web: number;
}

export interface StackOptions {
  /** PR canaries to run. Default: {@link DEMO_CANARIES}. */
  canaries?: readonly CanarySpec[];
  /** SERVICE_VERSION of stable. Default `0.1.0`. */
  stableVersion?: string;
  /** Fixed ports; 0 (the default for every port) picks a free one. */
  ports?: Partial<StackPorts>;
  /** Run the web UI's Vite dev server. Default false. */
  web?: boolean;
  /** dynalite's LevelDB folder; in memory when absent. */
  dataDir?: string;
  /** Extra environment for every child (e.g. PATH, LOG_LEVEL, OTEL_*); the stack sets the rest. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Receives every prefixed output line. Default: discarded. */
  log?: (line: string) => void;
  color?: boolean;
  /** How long every part may take to come up. Default 60 s. */
  readyTimeoutMs?: number;
  /** Extra browser origins allowed by the api's CORS, besides the web dev server's. */
  corsOrigins?: readonly string[];
  /** How crashed parts are restarted. Default: `DEFAULT_RESTART_POLICY` (supervisor.ts). */
  restartPolicy?: RestartPolicy;
}

export interface InstanceInfo {
  service: RoutedService;
  track: Track;
  version: string;
  /** Where it listens while `running`. */
  port: number | undefined;
  /** Process id of the current process, e.g. to kill an instance from outside as a crash would. */
  pid: number | undefined;
  running: boolean;
  state: InstanceState;
  /** How often it was restarted after a crash. */
  restarts: number;
}

/** A part of the stack that is not a routed instance. */
export interface PartInfo {
  name: 'dynamodb' | 'web';
  pid: number | undefined;
  running: boolean;
  restarts: number;
}

export interface Stack {
  urls: { api: string; grpc: string; dynamodb: string; web: string | undefined };
  instances(): InstanceInfo[];
  /** dynalite and the web dev server. */
  parts(): PartInfo[];
  /**
   * Stops one canary for good (no restart); its route stays, so its key then gets 503 / UNAVAILABLE
   * naming PR and service. Resolves once it is gone.
   */
  kill(service: RoutedService, track: Track): Promise<void>;
  /** Stops everything, in order: web, api, store, router, dynalite. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when a vital part kept crashing and the stack stopped itself. */
  failed: Promise<Error>;
}

export const DEMO_CANARIES: readonly CanarySpec[] = [
  { pr: '42', services: ['api-service', 'store-service'], version: '0.1.0-pr42' },
  { pr: '7', services: ['store-service'], version: '0.1.0-pr7' },
];

/** Every part of the stack binds (and dials) loopback only: nothing is reachable from the LAN. */
const LOOPBACK = '127.0.0.1';
const STOP_GRACE_MS = 8_000;
const READY_POLL_MS = 100;
const REPO_ROOT = path.resolve(__dirname, '../../..');
/** dynalite's entry, compiled (also when this file runs from source, as in tests). */
const DYNALITE_MAIN = path.join(REPO_ROOT, 'localdev/dist/dynalite/main.js');
/** Services run as the images run them: compiled JavaScript and the compiled telemetry register. */
const SERVICE_NODE_ARGS = [
  '--enable-source-maps',
  '--require',
  '@pr-canary/service-kit/register',
  'dist/server.js',
];
const SHORT_NAME: Readonly<Record<RoutedService, string>> = {
  'api-service': 'api',
  'store-service': 'store',
};

/** DynamoDB table of an instance: `items` for stable, `items-pr-<N>` for a canary (data isolation). */
export function tableFor(track: Track): string {
  return track === 'stable' ? 'items' : `items-${track}`;
}

/** Children stop in this order: the web UI first, dynalite last. */
const STOP_ORDER = ['web', 'api-service', 'store-service', 'dynamodb'] as const;
type ChildRole = (typeof STOP_ORDER)[number];

interface ServiceInstance {
  service: RoutedService;
  track: Track;
  version: string;
  supervisor: Supervisor<number>;
}

export class StackError extends Error {
  override name = 'StackError';
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const runner = new StackRunner(options);
  try {
    return await runner.start();
  } catch (error) {
    await runner.stop();
    throw error;
  }
}

class StackRunner {
  readonly #options: StackOptions;
  readonly #ports: StackPorts;
  readonly #routes = new LiveRoutes();
  readonly #prefix: Prefixer;
  readonly #instances: ServiceInstance[] = [];
  readonly #closers: (() => Promise<void>)[] = [];
  readonly #parts: { role: ChildRole; name: string; supervisor: Supervisor<unknown> }[] = [];
  #stopping: Promise<void> | undefined;
  #fail: (error: Error) => void = () => {};
  readonly failed = new Promise<Error>((resolve) => {
    this.#fail = resolve;
  });

  constructor(options: StackOptions) {
    this.#options = options;
    this.#ports = { http: 0, grpc: 0, dynamodb: 0, web: 0, ...options.ports };
    this.#prefix = createPrefixer(options.color ?? false);
  }

  async start(): Promise<Stack> {
    const canaries = this.#options.canaries ?? DEMO_CANARIES;
    await assertPortsFree(Object.values(this.#portClaims()));
    const stableVersion = this.#options.stableVersion ?? '0.1.0';
    const storeTracks = this.#tracksOf('store-service', canaries, stableVersion);
    const apiTracks = this.#tracksOf('api-service', canaries, stableVersion);
    // Routes follow what is declared, as manifests do in a cluster: from here on a request for an
    // instance that is not up yet gets 503 / UNAVAILABLE naming it, never another track.
    for (const [track] of storeTracks) this.#routes.declare('store-service', track);
    for (const [track] of apiTracks) this.#routes.declare('api-service', track);
    const { httpPort, grpcPort } = await this.#startRouters();
    const web = this.#options.web ? this.#startWeb(httpPort) : Promise.resolve(undefined);
    markHandled(web);
    // Stores need dynalite; apis only need the router's gRPC entry, so both chains start at once (the
    // apis' boot overlaps the stores'). An api's readiness (store reachable through the router) is
    // polled only once the stores are routable, so a healthy start logs no failed readiness check.
    const stores = this.#startDynalite().then((port) =>
      Promise.all(
        storeTracks.map(([track, version]) =>
          this.#startService('store-service', track, version, { dynamodbPort: port }),
        ),
      ).then(() => port),
    );
    markHandled(stores);
    const corsOrigins = [...(await this.#webOrigins(web)), ...(this.#options.corsOrigins ?? [])];
    const apis = Promise.all(
      apiTracks.map(([track, version]) =>
        this.#startService('api-service', track, version, { grpcPort, corsOrigins, storesUp: stores }),
      ),
    );
    const [dynamodbPort, webUrl] = await Promise.all([stores, web, apis]);
    return {
      urls: {
        api: `http://${LOOPBACK}:${httpPort}`,
        grpc: `${LOOPBACK}:${grpcPort}`,
        dynamodb: `http://${LOOPBACK}:${dynamodbPort}`,
        web: webUrl,
      },
      instances: () => this.#instances.map((instance) => this.#instanceInfo(instance)),
      parts: () =>
        this.#parts
          .filter((part): part is typeof part & { name: PartInfo['name'] } =>
            ['dynamodb', 'web'].includes(part.name),
          )
          .map(({ name, supervisor }) => ({
            name,
            pid: supervisor.child?.pid,
            running: supervisor.child?.running ?? false,
            restarts: supervisor.restarts,
          })),
      kill: (service, track) => this.#kill(service, track),
      stop: () => this.stop(),
      failed: this.failed,
    };
  }

  #instanceInfo({ service, track, version, supervisor }: ServiceInstance): InstanceInfo {
    const status = this.#routes.status(service, track);
    return {
      service,
      track,
      version,
      port: status?.address?.port,
      pid: supervisor.child?.pid,
      running: supervisor.child?.running ?? false,
      state: status?.state ?? 'stopped',
      restarts: supervisor.restarts,
    };
  }

  /** The web UI's origins for CORS: known up front for a fixed port, else once Vite reports its URL. */
  async #webOrigins(web: Promise<string | undefined>): Promise<string[]> {
    if (!this.#options.web) return [];
    const url = this.#ports.web === 0 ? await web : `http://${LOOPBACK}:${this.#ports.web}`;
    return url ? browserOrigins(url) : [];
  }

  /** Stable plus every canary of `service`, as [track, version]. */
  #tracksOf(
    service: RoutedService,
    canaries: readonly CanarySpec[],
    stableVersion: string,
  ): [Track, string][] {
    return [
      ['stable', stableVersion],
      ...canaries
        .filter((canary) => canary.services.includes(service))
        .map((canary): [Track, string] => [`pr-${canary.pr}`, canary.version]),
    ];
  }

  #portClaims(): Record<keyof StackPorts, PortClaim> {
    const { http, grpc, dynamodb, web } = this.#ports;
    return {
      http: { port: http, role: 'dev router HTTP entry', flag: '--http-port' },
      grpc: { port: grpc, role: 'dev router gRPC entry', flag: '--grpc-port' },
      dynamodb: { port: dynamodb, role: 'dynalite (local DynamoDB)', flag: '--dynamodb-port' },
      web: { port: this.#options.web ? web : 0, role: 'web UI dev server', flag: '--web-port' },
    };
  }

  async #startRouters(): Promise<{ httpPort: number; grpcPort: number }> {
    const claims = this.#portClaims();
    const http = await this.#startRouter(startHttpRouter, this.#ports.http, claims.http);
    const grpc = await this.#startRouter(startGrpcRouter, this.#ports.grpc, claims.grpc);
    this.#say(
      `dev router: HTTP http://${LOOPBACK}:${http.port} (X-Canary → api), gRPC ${LOOPBACK}:${grpc.port} (x-canary → store)`,
    );
    return { httpPort: http.port, grpcPort: grpc.port };
  }

  /** Starts one router entry on loopback; a taken port becomes a PortInUseError naming it. */
  async #startRouter(
    start: typeof startHttpRouter | typeof startGrpcRouter,
    port: number,
    claim: PortClaim,
  ): Promise<{ port: number }> {
    const router = await start({ routes: this.#routes, port, host: LOOPBACK }).catch((error: unknown) => {
      throw explainListenError(error, claim);
    });
    this.#closers.push(() => router.close());
    return router;
  }

  /** dynalite; a restart binds the port the first start got, which every store is configured with. */
  async #startDynalite(): Promise<number> {
    let port = this.#ports.dynamodb;
    const args = () => {
      const list = [DYNALITE_MAIN, '--port', String(port), '--host', LOOPBACK];
      if (this.#options.dataDir) list.push('--path', this.#options.dataDir);
      return list;
    };
    const supervisor = this.#supervise<number>('dynamodb', 'dynamodb', {
      spawn: () => this.#spawn('dynamodb', args(), REPO_ROOT, {}),
      ready: (child) => this.#waitListening(child),
      onUp: () => {},
      onDown: () => {},
    });
    port = await supervisor.start();
    return port;
  }

  async #startService(
    service: RoutedService,
    track: Track,
    version: string,
    wiring: {
      dynamodbPort?: number;
      grpcPort?: number;
      corsOrigins?: readonly string[];
      storesUp?: Promise<unknown>;
    },
  ): Promise<void> {
    const env: Record<string, string> = {
      HOST: LOOPBACK,
      PORT: '0',
      METRICS_PORT: '0',
      CANARY_TRACK: track,
      SERVICE_VERSION: version,
      SHUTDOWN_DRAIN_MS: '1',
    };
    if (service === 'store-service') {
      Object.assign(env, {
        DYNAMODB_TABLE: tableFor(track),
        DYNAMODB_ENDPOINT: `http://${LOOPBACK}:${wiring.dynamodbPort}`,
        DYNAMODB_CREATE_TABLE: 'true',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'localdev',
        AWS_SECRET_ACCESS_KEY: 'localdev',
      });
    } else {
      Object.assign(env, {
        STORE_ADDR: `${LOOPBACK}:${wiring.grpcPort}`,
        CORS_ALLOWED_ORIGINS: (wiring.corsOrigins ?? []).join(','),
      });
    }
    const name = `${SHORT_NAME[service]} ${track}`;
    const cwd = path.join(REPO_ROOT, 'apps', service);
    let first = true;
    const supervisor = this.#supervise<number>(service, name, {
      spawn: () => this.#spawn(name, SERVICE_NODE_ARGS, cwd, env),
      ready: async (child) => {
        const port = await this.#waitListening(child);
        if (service === 'api-service') {
          if (first) await wiring.storesUp;
          await this.#waitReady(child, port);
        }
        first = false;
        return port;
      },
      onUp: (port, restarts) =>
        this.#routes.update(service, track, {
          state: 'running',
          address: { host: LOOPBACK, port },
          restarts,
        }),
      onDown: (state, restarts) => this.#routes.update(service, track, { state, restarts }),
      vital: track === 'stable',
    });
    this.#instances.push({ service, track, version, supervisor });
    await supervisor.start();
  }

  async #startWeb(apiPort: number): Promise<string> {
    const webDir = path.join(REPO_ROOT, 'apps/web');
    const vitePackage = createRequire(path.join(webDir, 'package.json')).resolve('vite/package.json');
    const viteBin = path.join(path.dirname(vitePackage), 'bin/vite.js');
    let port = this.#ports.web;
    const args = () => [
      viteBin,
      '--port',
      String(port),
      '--strictPort',
      '--host',
      LOOPBACK,
      '--clearScreen',
      'false',
    ];
    const supervisor = this.#supervise<string>('web', 'web', {
      spawn: () => this.#spawn('web', args(), webDir, { VITE_API_URL: `http://${LOOPBACK}:${apiPort}` }),
      ready: (child) => child.waitFor(pickViteUrl, 'its URL', this.#readyTimeoutMs()),
      onUp: () => {},
      onDown: () => {},
    });
    const url = await supervisor.start();
    // A restart serves the same origin (the api's CORS allows exactly that one).
    port = Number(new URL(url).port);
    return url;
  }

  /** Registers a supervised part; a vital one that keeps crashing stops the stack. */
  #supervise<T>(
    role: ChildRole,
    name: string,
    spec: Pick<SupervisedSpec<T>, 'spawn' | 'ready' | 'onUp' | 'onDown'> & { vital?: boolean },
  ): Supervisor<T> {
    const vital = spec.vital ?? true;
    const supervisor = new Supervisor<T>({
      ...spec,
      name,
      say: (text) => {
        if (!this.#stopping) this.#say(text);
      },
      onGiveUp: (error) => {
        if (!vital || this.#stopping) return;
        this.#say('stopping the stack');
        void this.stop().then(() => this.#fail(new StackError(error.message)));
      },
      policy: this.#options.restartPolicy,
    });
    this.#parts.push({ role, name, supervisor: supervisor as Supervisor<unknown> });
    return supervisor;
  }

  #spawn(name: string, args: readonly string[], cwd: string, env: Record<string, string>): ManagedChild {
    return new ManagedChild({
      name,
      args,
      cwd,
      env: { ...this.#baseEnv(), ...env },
      onLine: (source, line) => this.#print(source.name, line),
    });
  }

  #baseEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.#options.env ?? {}))
      if (value !== undefined) env[name] = value;
    if (!Object.keys(env).some((name) => name.startsWith('OTEL_'))) env.OTEL_SDK_DISABLED = 'true';
    env.LOG_LEVEL ??= 'info';
    return env;
  }

  #readyTimeoutMs(): number {
    return this.#options.readyTimeoutMs ?? 60_000;
  }

  async #waitListening(child: ManagedChild): Promise<number> {
    try {
      return await child.waitFor(pickListeningPort, 'a listening port', this.#readyTimeoutMs());
    } catch (error) {
      throw new StackError(withLastLines(`${(error as Error).message}`, child));
    }
  }

  async #waitReady(child: ManagedChild, port: number): Promise<void> {
    const deadline = Date.now() + this.#readyTimeoutMs();
    while (Date.now() < deadline) {
      if (!child.running) throw new StackError(withLastLines(`${child.name} exited while starting`, child));
      const ready = await fetch(`http://${LOOPBACK}:${port}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    throw new StackError(
      withLastLines(`${child.name} was not ready within ${this.#readyTimeoutMs()} ms`, child),
    );
  }

  async #kill(service: RoutedService, track: Track): Promise<void> {
    const instance = this.#instances.find(
      (candidate) => candidate.service === service && candidate.track === track,
    );
    if (!instance) throw new StackError(`no ${service} instance with track ${track}`);
    if (track === 'stable')
      throw new StackError('only canaries can be killed; stop the stack to stop stable');
    const { restarts } = instance.supervisor;
    await instance.supervisor.stop(STOP_GRACE_MS);
    this.#routes.update(service, track, { state: 'stopped', restarts });
    this.#say(
      `${instance.supervisor.child?.name ?? service} stopped on request; X-Canary ${track.slice('pr-'.length)} now gets 503 from ${service} until the stack restarts`,
    );
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    for (const role of STOP_ORDER) {
      if (role === 'dynamodb') await Promise.all(this.#closers.map((close) => close()));
      const parts = this.#parts.filter((entry) => entry.role === role);
      await Promise.all(parts.map(({ supervisor }) => supervisor.stop(STOP_GRACE_MS)));
    }
  }

  #print(name: string, line: ParsedLine): void {
    // Vite frames its banner with blank lines; under a prefix they are only noise.
    if (line.text.trim() === '') return;
    this.#options.log?.(this.#prefix(name, line.text, line.level));
  }

  #say(text: string): void {
    for (const line of text.split('\n')) this.#options.log?.(this.#prefix('stack', line, undefined));
  }
}

/** The child's IPC announcement (see announceListening in service-kit): independent of LOG_LEVEL. */
function pickListeningPort(event: ChildEvent): number | undefined {
  return event.kind === 'message' && isListeningMessage(event.message) ? event.message.port : undefined;
}

function pickViteUrl(event: ChildEvent): string | undefined {
  if (event.kind !== 'line') return undefined;
  return /Local:\s+(http:\/\/\S+?)\/?$/.exec(event.line.text)?.[1];
}

/** The promise is awaited later; this only keeps an early rejection from counting as unhandled. */
function markHandled(promise: Promise<unknown>): void {
  promise.catch(() => {});
}

/** A page served from 127.0.0.1:P is often opened as localhost:P: allow both. */
function browserOrigins(url: string): string[] {
  const { port, protocol } = new URL(url);
  return [`${protocol}//localhost:${port}`, `${protocol}//127.0.0.1:${port}`];
}

function withLastLines(message: string, child: ManagedChild): string {
  const lines = child.lastLines();
  if (lines.length === 0) return message;
  return `${message}; its last lines:\n${lines.map((line) => `  | ${line}`).join('\n')}`;
}
