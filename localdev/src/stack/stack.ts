import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { Track } from '@pr-canary/contracts/canary-key';
import type { RoutedService } from '@pr-canary/contracts/route-rule';
import {
  addressVariable,
  type Hop,
  nodeServices,
  SERVICES,
  type ServiceEntry,
  tableFor,
} from '@pr-canary/contracts/services';
import { isListeningMessage, type ListeningMessage } from '@pr-canary/service-kit/listening';
import { LOCAL_TRACES_URL_VARIABLE } from '@pr-canary/service-kit/local-traces';
import { FORCE_SHUTDOWN_AFTER_MS } from '@pr-canary/service-kit/service-server';
import { startTraceReceiver, type TraceReceiver } from '@pr-canary/traces';
import { startGrpcRouter } from '../router/grpc-router';
import { startHttpRouter } from '../router/http-router';
import { type InstanceState, LiveRoutes } from '../routing/live-routes';
import { type CanarySpec, loadCanaryFile } from './canary-config';
import { CONTROL_CODES, ControlError, putInstanceFaults, startControlServer } from './control-server';
import { claimDataDir, DataDirError } from './data-dir-claim';
import type { ParsedLine } from './log-format';
import { type ChildEvent, ManagedChild } from './managed-child';
import { assertPortsFree, explainListenError, type PortClaim } from './ports';
import { createPrefixer, type Prefixer } from './prefix';
import { type RestartPolicy, type SupervisedSpec, Supervisor } from './supervisor';
import { startStaticWebServer, WebBuildMissingError } from './web-server';

/**
 * The local stack: every Node service of the registry (`@pr-canary/contracts/services`) as stable plus
 * its PR canaries, dynalite when a service keeps a table, the dev router (HTTP edge + gRPC mesh) and
 * optionally the web dev server of the registry's static bundle — every part a real process or socket.
 * Nothing here names a service: what runs, how it is wired and where it is routed follows the registry.
 *
 * Failure policy, as a process manager's: every part that dies (stable, canary, dynalite, web) is
 * reported with its last lines and restarted with backoff (see supervisor.ts); while it is down, the
 * routes to it answer 503 / UNAVAILABLE naming it — a canary's key never falls back to stable. A part
 * that keeps crashing is given up on: a canary then stays down (its requests keep failing), anything
 * else stops the whole stack, so it is never silently half up.
 */

export interface StackPorts {
  /** Dev router HTTP entry (the edge, Traefik's part): every edge service, chosen by Host. */
  http: number;
  /** Dev router gRPC entry (the mesh, Linkerd's part): every caller dials it as `<SHORT>_ADDR`. */
  grpc: number;
  dynamodb: number;
  web: number;
  /** The trace receiver (OTLP/HTTP in, the waterfall's traces out). */
  traces: number;
  /** The stack's control endpoint: instances, faults, verdicts (`pr-canary fault`, `analyze`, the web UI). */
  control: number;
}

/** Faults one instance starts with (`npm start -- --fault 42:store:error-rate=0.2`). */
export interface InstanceFaults {
  service: RoutedService;
  track: Track;
  /** A fault spec (canary-context faults.ts), passed to the instance as CANARY_FAULTS. */
  spec: string;
}

export interface StackOptions {
  /** PR canaries to run. Default: {@link DEMO_CANARIES}. */
  canaries?: readonly CanarySpec[];
  /** SERVICE_VERSION of stable. Default `0.1.0`. */
  stableVersion?: string;
  /** Fixed ports; 0 (the default for every port) picks a free one. */
  ports?: Partial<StackPorts>;
  /**
   * Serve the web UI (default false): its production build (`apps/web/dist`, which `npm start` builds
   * and turbo caches) from this process, with the stack's URLs in its `/config.json`.
   */
  web?: boolean;
  /** With `web`: run Vite's dev server instead (hot reload, for working on the UI; two more processes). */
  webDev?: boolean;
  /**
   * Run the trace receiver and trace every request to it (default true). Off, tracing follows `OTEL_*`
   * alone: spans go only to the collector they name, or nowhere (OTEL_SDK_DISABLED) when none is set.
   */
  traces?: boolean;
  /** dynalite's LevelDB folder; in memory when absent. */
  dataDir?: string;
  /** Extra environment for every child (e.g. PATH, LOG_LEVEL, OTEL_*); the stack sets the rest. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Receives every prefixed output line. Default: discarded. */
  log?: (line: string) => void;
  color?: boolean;
  /** How long every part may take to come up. Default 60 s. */
  readyTimeoutMs?: number;
  /** Extra browser origins the edge services' CORS allows, besides the web dev server's. */
  corsOrigins?: readonly string[];
  /** How crashed parts are restarted. Default: `DEFAULT_RESTART_POLICY` (supervisor.ts). */
  restartPolicy?: RestartPolicy;
  /** Faults instances start with; changeable later through the control endpoint. */
  faults?: readonly InstanceFaults[];
}

export interface InstanceInfo {
  /** The registered service's name. */
  service: RoutedService;
  track: Track;
  version: string;
  /** Where it listens while `running`. */
  port: number | undefined;
  /** Its metrics (and /faults admin) port while `running`. */
  metricsPort: number | undefined;
  /** Process id of the current process, e.g. to kill an instance from outside as a crash would. */
  pid: number | undefined;
  running: boolean;
  state: InstanceState;
  /** How often it was restarted after a crash. */
  restarts: number;
}

/** A part of the stack that is not a routed instance: `dynamodb`, or the web UI (its registry name). */
export interface PartInfo {
  name: string;
  pid: number | undefined;
  running: boolean;
  restarts: number;
}

export interface Stack {
  /**
   * `api`: the dev router's HTTP entry (the edge; a Host naming no edge service reaches the first one);
   * `grpc`: its gRPC entry (the mesh); `dynamodb`: dynalite, when a registered service keeps a table.
   */
  urls: {
    api: string;
    grpc: string;
    dynamodb: string | undefined;
    web: string | undefined;
    /** The trace receiver (OTLP/HTTP in, the waterfall's traces out), unless `traces: false`. */
    traces: string | undefined;
    /** The control endpoint: instances, faults, verdicts. */
    control: string;
  };
  instances(): InstanceInfo[];
  /** dynalite and the web dev server. */
  parts(): PartInfo[];
  /**
   * Stops one canary for good (no restart); its route stays, so its key then gets 503 / UNAVAILABLE
   * naming PR and service. Resolves once it is gone.
   */
  kill(service: RoutedService, track: Track): Promise<void>;
  /** Stops everything, in order: web, edge services, mesh services, router, dynalite. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when a vital part kept crashing and the stack stopped itself. */
  failed: Promise<Error>;
}

/** The demo canaries `npm start` runs by default (localdev/canaries.json). */
export const DEMO_CANARIES_FILE = path.resolve(__dirname, '../../canaries.json');
export const DEMO_CANARIES: readonly CanarySpec[] = loadCanaryFile(DEMO_CANARIES_FILE, '0.1.0');

/** Every part of the stack binds (and dials) loopback only: nothing is reachable from the LAN. */
const LOOPBACK = '127.0.0.1';
/**
 * How long a part has to stop after SIGTERM before it is killed: a service's own deadline for
 * in-flight work, and a little more for its telemetry flush and exit.
 */
const STOP_GRACE_MS = FORCE_SHUTDOWN_AFTER_MS + 3_000;
const READY_POLL_MS = 100;
const REPO_ROOT = path.resolve(__dirname, '../../..');
/** dynalite's entry, compiled (also when this file runs from source, as in tests). */
const DYNALITE_MAIN = path.join(REPO_ROOT, 'localdev/dist/dynalite/main.js');
/** Services run as the images run them: compiled JavaScript and the compiled telemetry register. */
const SERVICE_NODE_ARGS = ['--expose-gc', '--require', '@pr-canary/service-kit/register', 'dist/server.js'];
/** Children stop in this order: the web UI first, then the callers (edge) before their callees (mesh), dynalite last. */
const STOP_ORDER = ['web', 'edge', 'mesh', 'dynamodb'] as const satisfies readonly (
  | 'web'
  | Hop
  | 'dynamodb'
)[];
type ChildRole = (typeof STOP_ORDER)[number];

/** What an instance is started with besides its own facts. */
interface ServiceWiring {
  grpcPort: number;
  /** dynalite's port, once it is up (only a service with a table waits for it). */
  dynamodb: Promise<number | undefined>;
  corsOrigins?: readonly string[];
  /** An HTTP service's readiness is first polled once these (its callees) are up. */
  calleesUp?: Promise<unknown>;
}

interface ServiceInstance {
  service: ServiceEntry;
  track: Track;
  version: string;
  supervisor: Supervisor<number>;
  metricsPort: number | undefined;
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
  /** Each instance's faults (`service track` → spec): what a restart starts it with. */
  readonly #faults = new Map<string, string>();
  #webOriginList: string[] = [];
  #stopping: Promise<void> | undefined;
  #traces: TraceReceiver | undefined;
  /** Closes the web UI's static server, when this process serves it. */
  #webServerClose: (() => Promise<void>) | undefined;
  #fail: (error: Error) => void = () => {};
  readonly failed = new Promise<Error>((resolve) => {
    this.#fail = resolve;
  });

  constructor(options: StackOptions) {
    this.#options = options;
    this.#ports = { http: 0, grpc: 0, dynamodb: 0, web: 0, traces: 0, control: 0, ...options.ports };
    for (const { service, track, spec } of options.faults ?? [])
      this.#faults.set(`${service} ${track}`, spec);
    this.#prefix = createPrefixer(options.color ?? false);
  }

  async start(): Promise<Stack> {
    const canaries = this.#options.canaries ?? DEMO_CANARIES;
    await assertPortsFree(Object.values(this.#portClaims()));
    this.#claimDataDir();
    const stableVersion = this.#options.stableVersion ?? '0.1.0';
    const plan = nodeServices().map((service) => ({
      service,
      tracks: this.#tracksOf(service, canaries, stableVersion),
    }));
    // Routes follow what is declared, as manifests do in a cluster: from here on a request for an
    // instance that is not up yet gets 503 / UNAVAILABLE naming it, never another track.
    for (const { service, tracks } of plan)
      for (const [track] of tracks) this.#routes.declare(service.name, track);
    this.#assertFaultTargetsDeclared();
    const { httpPort, grpcPort } = await this.#startRouters();
    await this.#startTraceReceiver();
    const controlUrl = await this.#startControl(httpPort);
    const web = !this.#options.web
      ? Promise.resolve(undefined)
      : this.#options.webDev
        ? this.#startWebDev(httpPort, controlUrl)
        : this.#startWebStatic(httpPort, controlUrl);
    markHandled(web);
    const dynamodb = plan.some(({ service }) => service.table !== undefined)
      ? this.#startDynalite()
      : Promise.resolve(undefined);
    markHandled(dynamodb);
    // The mesh services (the callees) need dynalite when they keep a table; the edge services only
    // need the router's gRPC entry, so both start at once (the edge's boot overlaps the mesh's). An
    // edge service's readiness (its callees reachable through the router) is polled only once the mesh
    // services are routable, so its first check finds them there (on a busy machine that first call,
    // which opens the connections, can still miss the service's readiness deadline: README).
    const startHop = (hop: Hop, wiring: Omit<ServiceWiring, 'grpcPort'>) =>
      Promise.all(
        plan
          .filter(({ service }) => service.hop === hop)
          .flatMap(({ service, tracks }) =>
            tracks.map(([track, version]) =>
              this.#startService(service, track, version, { grpcPort, ...wiring }),
            ),
          ),
      );
    const mesh = startHop('mesh', { dynamodb });
    markHandled(mesh);
    this.#webOriginList = await this.#webOrigins(web);
    const corsOrigins = this.#corsOrigins();
    // The web UI (and the test pages given in corsOrigins) read the waterfall from the receiver.
    for (const origin of corsOrigins) this.#traces?.allowOrigin(origin);
    const edge = startHop('edge', { dynamodb, corsOrigins, calleesUp: mesh });
    const [dynamodbPort, webUrl] = await Promise.all([dynamodb, web, mesh, edge]);
    return {
      urls: {
        api: `http://${LOOPBACK}:${httpPort}`,
        grpc: `${LOOPBACK}:${grpcPort}`,
        dynamodb: dynamodbPort === undefined ? undefined : `http://${LOOPBACK}:${dynamodbPort}`,
        web: webUrl,
        traces: this.#traces?.url,
        control: controlUrl,
      },
      instances: () => this.#instances.map((instance) => this.#instanceInfo(instance)),
      parts: () =>
        this.#parts
          .filter(({ role }) => role === 'web' || role === 'dynamodb')
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

  #instanceInfo({ service, track, version, supervisor, metricsPort }: ServiceInstance): InstanceInfo {
    const status = this.#routes.status(service.name, track);
    const running = status?.state === 'running';
    return {
      service: service.name,
      track,
      version,
      port: status?.address?.port,
      metricsPort: running ? metricsPort : undefined,
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
    service: ServiceEntry,
    canaries: readonly CanarySpec[],
    stableVersion: string,
  ): [Track, string][] {
    return [
      ['stable', stableVersion],
      ...canaries
        .filter((canary) => canary.services.includes(service.name))
        .map((canary): [Track, string] => [`pr-${canary.pr}`, canary.version]),
    ];
  }

  #portClaims(): Record<keyof StackPorts, PortClaim> {
    const { http, grpc, dynamodb, web, traces } = this.#ports;
    return {
      traces: { port: this.#tracing() ? traces : 0, role: 'trace receiver', flag: '--traces-port' },
      http: { port: http, role: 'dev router HTTP entry', flag: '--http-port' },
      grpc: { port: grpc, role: 'dev router gRPC entry', flag: '--grpc-port' },
      dynamodb: { port: dynamodb, role: 'dynalite (local DynamoDB)', flag: '--dynamodb-port' },
      web: { port: this.#options.web ? web : 0, role: 'web UI', flag: '--web-port' },
      control: { port: this.#ports.control, role: 'stack control endpoint', flag: '--control-port' },
    };
  }

  async #startRouters(): Promise<{ httpPort: number; grpcPort: number }> {
    const claims = this.#portClaims();
    const routes = this.#routes;
    const http = await this.#startRouter(
      () =>
        startHttpRouter({
          routes,
          port: this.#ports.http,
          host: LOOPBACK,
          corsOrigins: () => this.#corsOrigins(),
          recordOwnAnswer: (span) => this.#traces?.store.add([span]),
        }),
      claims.http,
    );
    const grpc = await this.#startRouter(
      () => startGrpcRouter({ routes, port: this.#ports.grpc, host: LOOPBACK }),
      claims.grpc,
    );
    const shorts = (hop: Hop) =>
      nodeServices()
        .filter((service) => service.hop === hop)
        .map((service) => service.short)
        .join(', ') || 'none';
    this.#say(
      `dev router: HTTP http://${LOOPBACK}:${http.port} (X-Canary → ${shorts('edge')}), gRPC ${LOOPBACK}:${grpc.port} (x-canary → ${shorts('mesh')})`,
    );
    return { httpPort: http.port, grpcPort: grpc.port };
  }

  /** Tracing to the local receiver: on unless turned off, or the user turned the SDK off. */
  #tracing(): boolean {
    const disabled = this.#options.env?.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
    return (this.#options.traces ?? true) && !disabled;
  }

  /** The OTLP/HTTP trace receiver on loopback, keeping the last few hundred traces in memory. */
  async #startTraceReceiver(): Promise<void> {
    if (!this.#tracing()) return;
    const claim = this.#portClaims().traces;
    this.#traces = await startTraceReceiver({ host: LOOPBACK, port: this.#ports.traces }).catch(
      (error: unknown) => {
        throw explainListenError(error, claim);
      },
    );
    const receiver = this.#traces;
    this.#closers.push(() => receiver.close());
    this.#say(
      `trace receiver: OTLP/HTTP ${receiver.url}/v1/traces, every request traced (last ${receiver.store.maxTraces} traces kept; npx pr-canary trace <X-Trace-Id> --url ${receiver.url})`,
    );
  }

  /** The pages that may read the stack's answers: the web UI's origins and the ones the options add. */
  #corsOrigins(): string[] {
    return [...this.#webOriginList, ...(this.#options.corsOrigins ?? [])];
  }

  /** Starts one router entry on loopback; a taken port becomes a PortInUseError naming it. */
  async #startRouter(
    start: () => Promise<{ port: number; close(): Promise<void> }>,
    claim: PortClaim,
  ): Promise<{ port: number }> {
    const router = await start().catch((error: unknown) => {
      throw explainListenError(error, claim);
    });
    this.#closers.push(() => router.close());
    return router;
  }

  /** A fault for an instance the stack does not run is a mistake to say at once, not to ignore. */
  #assertFaultTargetsDeclared(): void {
    for (const { service, track } of this.#options.faults ?? [])
      if (!this.#routes.status(service, track))
        throw new StackError(`--fault names ${service} on ${track}, which this stack does not run`);
  }

  /** The control endpoint on loopback: instances, faults, verdicts. */
  async #startControl(httpPort: number): Promise<string> {
    const control = await startControlServer({
      port: this.#ports.control,
      host: LOOPBACK,
      corsOrigins: () => this.#corsOrigins(),
      target: {
        apiUrl: () => `http://${LOOPBACK}:${httpPort}`,
        instances: () =>
          this.#instances.map((instance) => {
            const info = this.#instanceInfo(instance);
            return {
              service: info.service,
              track: info.track,
              version: info.version,
              state: info.state,
              port: info.port ?? null,
              metricsPort: info.metricsPort ?? null,
            };
          }),
        setFaults: (service, track, spec) => this.#setFaults(service, track, spec),
      },
    }).catch((error: unknown) => {
      throw explainListenError(error, this.#portClaims().control);
    });
    this.#closers.push(() => control.close());
    return control.url;
  }

  /** Sets a running instance's faults through its admin port; they also hold for its restarts. */
  async #setFaults(service: string, track: string, spec: string): Promise<string> {
    const instance = this.#instances.find((i) => i.service.name === service && i.track === track);
    if (!instance)
      throw new ControlError(404, `this stack runs no ${service} on ${track}`, CONTROL_CODES.noSuchInstance);
    const info = this.#instanceInfo(instance);
    if (info.metricsPort === undefined)
      throw new ControlError(
        409,
        // A stopped canary (given up after a crash loop, or stopped on request) stays stopped until the
        // stack restarts: "once it runs" would be advice nobody can follow.
        info.state === 'stopped' && track !== 'stable'
          ? `${service} on ${track} is stopped until the stack restarts; give its faults at start: npm start -- --fault ${track.slice('pr-'.length)}:${instance.service.short}:${spec}`
          : `${service} on ${track} is ${info.state}; set its faults once it runs`,
        CONTROL_CODES.notRunning,
      );
    const inForce = await putInstanceFaults(info.metricsPort, spec);
    this.#faults.set(`${service} ${track}`, inForce);
    this.#say(`faults of ${instance.service.short} ${track}: ${inForce}`);
    return inForce;
  }

  /** The data folder, claimed for this stack before anything starts and released when it stops (data-dir-claim.ts). */
  #claimDataDir(): void {
    const dir = this.#options.dataDir;
    if (dir === undefined) return;
    let release: () => void;
    try {
      release = claimDataDir(dir);
    } catch (error) {
      throw error instanceof DataDirError ? new StackError(error.message) : error;
    }
    this.#closers.push(async () => release());
  }

  /** dynalite; a restart binds the port the first start got, which every service is configured with. */
  async #startDynalite(): Promise<number> {
    let port = this.#ports.dynamodb;
    const args = () => {
      const list = ['--expose-gc', DYNALITE_MAIN, '--port', String(port), '--host', LOOPBACK];
      if (this.#options.dataDir) list.push('--path', this.#options.dataDir);
      return list;
    };
    const supervisor = this.#supervise<number>('dynamodb', 'dynamodb', {
      spawn: () => this.#spawn('dynamodb', args(), REPO_ROOT, {}),
      ready: async (child) => (await this.#waitListening(child)).port,
      onUp: () => {},
      onDown: () => {},
    });
    port = await supervisor.start();
    return port;
  }

  /**
   * The environment of one instance, from the registry: its own identity and ports; the router's gRPC
   * entry as the address of every other mesh service (`<SHORT>_ADDR`, as Kubernetes DNS names them in
   * a cluster); its own DynamoDB table (`<table>-pr-<N>` for a canary) when it keeps one; the browser
   * origins an edge service's CORS allows.
   */
  #serviceEnv(
    service: ServiceEntry,
    track: Track,
    version: string,
    wiring: { grpcPort: number; dynamodbPort: number | undefined; corsOrigins?: readonly string[] },
  ): Record<string, string> {
    const env: Record<string, string> = {
      OTEL_SERVICE_NAME: service.name,
      HOST: LOOPBACK,
      PORT: '0',
      METRICS_PORT: '0',
      CANARY_TRACK: track,
      SERVICE_VERSION: version,
      SHUTDOWN_DRAIN_MS: '1',
      // The key reaches PRs locally (npm start refuses an environment that says otherwise), and local
      // instances take faults and serve /faults on their metrics port (loopback only).
      CANARY_HEADER_TRUSTED: 'true',
      CANARY_FAULTS_ADMIN: 'true',
    };
    for (const callee of nodeServices())
      if (callee.hop === 'mesh' && callee !== service)
        env[addressVariable(callee)] = `${LOOPBACK}:${wiring.grpcPort}`;
    if (service.table !== undefined) {
      Object.assign(env, {
        DYNAMODB_TABLE: tableFor(service, track),
        DYNAMODB_ENDPOINT: `http://${LOOPBACK}:${wiring.dynamodbPort}`,
        DYNAMODB_CREATE_TABLE: 'true',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'localdev',
        AWS_SECRET_ACCESS_KEY: 'localdev',
      });
    }
    if (service.hop === 'edge') env.CORS_ALLOWED_ORIGINS = (wiring.corsOrigins ?? []).join(',');
    return env;
  }

  async #startService(
    service: ServiceEntry,
    track: Track,
    version: string,
    wiring: ServiceWiring,
  ): Promise<void> {
    const dynamodbPort = service.table === undefined ? undefined : await wiring.dynamodb;
    const env = this.#serviceEnv(service, track, version, { ...wiring, dynamodbPort });
    const name = `${service.short} ${track}`;
    const cwd = path.join(REPO_ROOT, service.workspace);
    let first = true;
    const faults = () => this.#faults.get(`${service.name} ${track}`) ?? 'none';
    const supervisor = this.#supervise<number>(service.hop, name, {
      spawn: () => this.#spawn(name, SERVICE_NODE_ARGS, cwd, { ...env, CANARY_FAULTS: faults() }),
      ready: async (child) => {
        const { port, metricsPort } = await this.#waitListening(child);
        instance.metricsPort = metricsPort;
        // An HTTP service says over /readyz whether what it calls is reachable; ask once those are up.
        if (service.protocol === 'http') {
          if (first) await wiring.calleesUp;
          await this.#waitReady(child, port);
        }
        first = false;
        return port;
      },
      onUp: (port, restarts) =>
        this.#routes.update(service.name, track, {
          state: 'running',
          address: { host: LOOPBACK, port },
          restarts,
        }),
      onDown: (state, restarts) => this.#routes.update(service.name, track, { state, restarts }),
      vital: track === 'stable',
    });
    const instance: ServiceInstance = { service, track, version, supervisor, metricsPort: undefined };
    this.#instances.push(instance);
    if (faults() !== 'none') this.#say(`${name} starts with faults: ${faults()}`);
    await supervisor.start();
  }

  /** The registry's static bundle (the web UI) and its folder. */
  #webUi(): { ui: ServiceEntry; webDir: string } {
    const ui = SERVICES.find((service) => service.runtime === 'static');
    if (!ui)
      throw new StackError('no static web bundle is registered (packages/contracts/src/services.json)');
    return { ui, webDir: path.join(REPO_ROOT, ui.workspace) };
  }

  /** The web UI's production build served from this process; its config.json points at the stack. */
  async #startWebStatic(apiPort: number, controlUrl: string): Promise<string> {
    const { webDir } = this.#webUi();
    const server = await startStaticWebServer({
      root: path.join(webDir, 'dist'),
      host: LOOPBACK,
      port: this.#ports.web,
      config: () => ({
        apiUrl: `http://${LOOPBACK}:${apiPort}`,
        ...(this.#traces ? { tracesUrl: this.#traces.url } : {}),
        stackUrl: controlUrl,
      }),
    }).catch((error: unknown) => {
      throw error instanceof WebBuildMissingError
        ? new StackError(error.message)
        : explainListenError(error, this.#portClaims().web);
    });
    this.#webServerClose = () => server.close();
    this.#say(
      `web UI: the production build of ${path.relative(REPO_ROOT, webDir)} (--web-dev for Vite's dev server)`,
    );
    return server.url;
  }

  /** The Vite dev server of the registry's static bundle (the web UI), pointed at the router's edge. */
  async #startWebDev(apiPort: number, controlUrl: string): Promise<string> {
    const { ui, webDir } = this.#webUi();
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
    const supervisor = this.#supervise<string>('web', ui.short, {
      spawn: () =>
        this.#spawn(ui.short, args(), webDir, {
          VITE_API_URL: `http://${LOOPBACK}:${apiPort}`,
          ...(this.#traces ? { VITE_TRACES_URL: this.#traces.url } : {}),
          VITE_STACK_URL: controlUrl,
        }),
      ready: (child) => child.waitFor(pickViteUrl, 'its URL', this.#readyTimeoutMs()),
      onUp: () => {},
      onDown: () => {},
    });
    const url = await supervisor.start();
    // A restart serves the same origin (the edge services' CORS allows exactly that one).
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
    const collector = Object.keys(env).some((name) => name.startsWith('OTEL_'));
    if (this.#traces) {
      // Every request traced to the receiver; OTEL_* (an external collector) still gets them too.
      env[LOCAL_TRACES_URL_VARIABLE] = `${this.#traces.url}/v1/traces`;
      if (!collector) env.OTEL_TRACES_EXPORTER = 'none';
      // Fully sampled, whatever a caller's traceparent says: with the SDK's parent-based default, a
      // client that sends `…-00` (not sampled) got no trace and no X-Trace-Id. OTEL_TRACES_SAMPLER wins.
      env.OTEL_TRACES_SAMPLER ??= 'always_on';
    } else if (!collector) env.OTEL_SDK_DISABLED = 'true';
    env.LOG_LEVEL ??= 'info';
    return env;
  }

  #readyTimeoutMs(): number {
    return this.#options.readyTimeoutMs ?? 60_000;
  }

  async #waitListening(child: ManagedChild): Promise<ListeningMessage> {
    try {
      return await child.waitFor(pickListening, 'a listening port', this.#readyTimeoutMs());
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
      (candidate) => candidate.service.name === service && candidate.track === track,
    );
    if (!instance) throw new StackError(`no ${service} instance with track ${track}`);
    if (track === 'stable')
      throw new StackError('only canaries can be killed; stop the stack to stop stable');
    const { restarts } = instance.supervisor;
    await this.#stopPart(instance.supervisor);
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
    await this.#webServerClose?.();
    for (const role of STOP_ORDER) {
      if (role === 'dynamodb') await Promise.all(this.#closers.map((close) => close()));
      const parts = this.#parts.filter((entry) => entry.role === role);
      await Promise.all(parts.map(({ supervisor }) => this.#stopPart(supervisor)));
    }
  }

  /** Stops one part for good, and says so when it had to be killed (it ignored SIGTERM for the whole grace). */
  async #stopPart(supervisor: Supervisor<unknown>): Promise<void> {
    await supervisor.stop(STOP_GRACE_MS);
    const child = supervisor.child;
    if (child?.forceKilled)
      this.#say(
        `${child.name} did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM; killed it (SIGKILL), so it ran no shutdown of its own`,
      );
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
function pickListening(event: ChildEvent): ListeningMessage | undefined {
  return event.kind === 'message' && isListeningMessage(event.message) ? event.message : undefined;
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
