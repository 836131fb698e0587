import { createRequire } from 'node:module';
import * as path from 'node:path';
import { startGrpcRouter } from '../router/grpc-router';
import { startHttpRouter } from '../router/http-router';
import { LiveRoutes } from '../routing/live-routes';
import type { RoutedService, Track } from '../routing/route-table';
import type { CanarySpec } from './canary-config';
import type { ParsedLine } from './log-format';
import { describeExit, ManagedChild } from './managed-child';
import { assertPortsFree, explainListenError, type PortClaim } from './ports';
import { createPrefixer, type Prefixer } from './prefix';

/**
 * The local stack: dynalite, stable api + store, PR canaries, the dev router (HTTP edge + gRPC mesh)
 * and optionally the web dev server — every part a real process or socket.
 *
 * Failure policy: a canary that dies is reported with its last lines and its key falls back to stable
 * (like a PR canary without endpoints); anything else that dies (stable, dynalite, web) is reported and
 * stops the whole stack, so it is never silently half up.
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
}

export interface InstanceInfo {
  service: RoutedService;
  track: Track;
  version: string;
  port: number;
  /** Process id, e.g. to kill an instance from outside as a crash would. */
  pid: number | undefined;
  running: boolean;
}

export interface Stack {
  urls: { api: string; grpc: string; dynamodb: string; web: string | undefined };
  instances(): InstanceInfo[];
  /** Stops one canary (as if it died); its key then falls back to stable. Resolves once it is gone. */
  kill(service: RoutedService, track: Track): Promise<void>;
  /** Stops everything, in order: web, api, store, router, dynalite. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when a vital part died and the stack stopped itself. */
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
const SERVICE_NODE_ARGS = [
  '--conditions=pr-canary-source',
  '--import',
  'tsx',
  '--require',
  '@pr-canary/canary-context/register',
  'src/server.ts',
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
  child: ManagedChild;
  port: number;
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
  readonly #killedOnRequest = new Set<ManagedChild>();
  readonly #children: { role: ChildRole; child: ManagedChild }[] = [];
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
    await assertPortsFree(Object.values(this.#portClaims()), LOOPBACK);
    const { httpPort, grpcPort } = await this.#startRouters();
    const web = this.#options.web ? this.#startWeb(httpPort) : Promise.resolve(undefined);
    markHandled(web);
    const stableVersion = this.#options.stableVersion ?? '0.1.0';
    // Stores need dynalite; apis only need the router's gRPC entry, so both chains start at once (the
    // apis' boot overlaps the stores'). An api's readiness (store reachable through the router) is
    // polled only once the stores are routable, so a healthy start logs no failed readiness check.
    const stores = this.#startDynalite().then((port) =>
      Promise.all(
        this.#tracksOf('store-service', canaries, stableVersion).map(([track, version]) =>
          this.#startService('store-service', track, version, { dynamodbPort: port }),
        ),
      ).then(() => port),
    );
    markHandled(stores);
    const corsOrigins = [...(await this.#webOrigins(web)), ...(this.#options.corsOrigins ?? [])];
    const apis = Promise.all(
      this.#tracksOf('api-service', canaries, stableVersion).map(([track, version]) =>
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
      instances: () =>
        this.#instances.map(({ child, ...rest }) => ({ ...rest, pid: child.pid, running: child.running })),
      kill: (service, track) => this.#kill(service, track),
      stop: () => this.stop(),
      failed: this.failed,
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

  async #startDynalite(): Promise<number> {
    const args = [
      '--import',
      'tsx',
      path.join(__dirname, `../dynalite/main${path.extname(__filename)}`),
      '--port',
      String(this.#ports.dynamodb),
      '--host',
      LOOPBACK,
    ];
    if (this.#options.dataDir) args.push('--path', this.#options.dataDir);
    const child = this.#spawn('dynamodb', 'dynamodb', args, REPO_ROOT, {});
    const port = await this.#waitListening(child);
    this.#watchVital(child);
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
    const child = this.#spawn(service, name, SERVICE_NODE_ARGS, path.join(REPO_ROOT, 'apps', service), env);
    const port = await this.#waitListening(child);
    if (service === 'api-service') {
      await wiring.storesUp;
      await this.#waitReady(child, port);
    }
    const instance: ServiceInstance = { service, track, version, child, port };
    this.#instances.push(instance);
    this.#routes.add(service, track, { host: LOOPBACK, port });
    if (track === 'stable') this.#watchVital(child);
    else this.#watchCanary(instance);
  }

  async #startWeb(apiPort: number): Promise<string> {
    const webDir = path.join(REPO_ROOT, 'apps/web');
    const vitePackage = createRequire(path.join(webDir, 'package.json')).resolve('vite/package.json');
    const viteBin = path.join(path.dirname(vitePackage), 'bin/vite.js');
    const args = [
      viteBin,
      '--port',
      String(this.#ports.web),
      '--strictPort',
      '--host',
      LOOPBACK,
      '--clearScreen',
      'false',
    ];
    const child = this.#spawn('web', 'web', args, webDir, { VITE_API_URL: `http://${LOOPBACK}:${apiPort}` });
    const url = await child.waitFor(pickViteUrl, 'its URL', this.#readyTimeoutMs());
    this.#watchVital(child);
    return url;
  }

  #spawn(
    role: ChildRole,
    name: string,
    args: readonly string[],
    cwd: string,
    env: Record<string, string>,
  ): ManagedChild {
    const child = new ManagedChild({
      name,
      command: process.execPath,
      args,
      cwd,
      env: { ...this.#baseEnv(), ...env },
      onLine: (source, line) => this.#print(source.name, line),
    });
    this.#children.push({ role, child });
    return child;
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

  #watchVital(child: ManagedChild): void {
    void child.exited.then((exit) => {
      if (this.#stopping) return;
      const error = new StackError(
        withLastLines(`${child.name} stopped unexpectedly (${describeExit(exit)})`, child),
      );
      this.#say(`${error.message}\nstopping the stack`);
      void this.stop().then(() => this.#fail(error));
    });
  }

  #watchCanary(instance: ServiceInstance): void {
    void instance.child.exited.then((exit) => {
      this.#routes.remove(instance.service, instance.track);
      if (this.#stopping) return;
      const pr = instance.track.slice('pr-'.length);
      const fallback = `X-Canary ${pr} now reaches stable ${instance.service}`;
      if (this.#killedOnRequest.has(instance.child)) {
        this.#say(`${instance.child.name} stopped on request; ${fallback}`);
      } else {
        this.#say(
          withLastLines(`${instance.child.name} died (${describeExit(exit)}); ${fallback}`, instance.child),
        );
      }
    });
  }

  async #kill(service: RoutedService, track: Track): Promise<void> {
    const instance = this.#instances.find(
      (candidate) => candidate.service === service && candidate.track === track,
    );
    if (!instance) throw new StackError(`no ${service} instance with track ${track}`);
    if (track === 'stable')
      throw new StackError('only canaries can be killed; stop the stack to stop stable');
    this.#killedOnRequest.add(instance.child);
    await instance.child.stop(STOP_GRACE_MS);
    this.#routes.remove(service, track);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    for (const role of STOP_ORDER) {
      if (role === 'dynamodb') await Promise.all(this.#closers.map((close) => close()));
      const children = this.#children.filter((entry) => entry.role === role);
      await Promise.all(children.map(({ child }) => child.stop(STOP_GRACE_MS)));
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

function pickListeningPort(line: ParsedLine): number | undefined {
  const port = line.json?.port;
  return line.json?.msg === 'listening' && typeof port === 'number' && port > 0 ? port : undefined;
}

function pickViteUrl(line: ParsedLine): string | undefined {
  return /Local:\s+(http:\/\/\S+?)\/?$/.exec(line.text)?.[1];
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
