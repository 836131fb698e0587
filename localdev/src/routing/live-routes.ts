import { routeUnavailableMessage } from '@pr-canary/canary-context/route-unavailable';
import type { Track } from '@pr-canary/contracts/canary-key';
import {
  type CanaryDeployment,
  type RouteBackend,
  type RoutedService,
  type RouteTable,
  resolveRoute,
  routeTable,
} from '@pr-canary/contracts/route-rule';

export interface Address {
  host: string;
  port: number;
}

/**
 * What an instance is doing right now. Only `running` is routable; the others are why it is not:
 * `starting` (not up yet), `restarting` (crashed, the stack restarts it), `stopped` (stopped on
 * request, or given up on after too many crashes).
 */
export type InstanceState = 'starting' | 'running' | 'restarting' | 'stopped';

export interface InstanceStatus {
  state: InstanceState;
  /** Set while `running`. */
  address?: Address;
  /** How often the stack restarted it after a crash. */
  restarts: number;
}

export type ResolvedRoute =
  | { backend: RouteBackend; address: Address }
  /** The route exists (the instance is declared) but its instance is not running: never a fallback. */
  | { backend: RouteBackend; address: undefined; unavailable: string };

/**
 * The routes of the declared instances and where each one runs right now. Routes follow what is
 * *declared* (the stack's configuration, like the manifests in a cluster), not what happens to be
 * running: a request for PR 42's store canary while it is down fails (503 / UNAVAILABLE naming PR and
 * service), as a route to a backend without ready endpoints does in a cluster — it never falls back
 * to stable, so a canary's request never reads or writes stable's data.
 */
export class LiveRoutes {
  readonly #instances = new Map<string, { service: RoutedService; track: Track; status: InstanceStatus }>();
  #table: RouteTable = routeTable([]);

  /** Declares an instance (state `starting`); its route exists from now on. */
  declare(service: RoutedService, track: Track): void {
    const id = instanceId(service, track);
    if (this.#instances.has(id)) throw new Error(`${id} is declared twice`);
    this.#instances.set(id, { service, track, status: { state: 'starting', restarts: 0 } });
    this.#rebuild();
  }

  /** Updates a declared instance's state (and address while running). */
  update(service: RoutedService, track: Track, status: InstanceStatus): void {
    const instance = this.#instances.get(instanceId(service, track));
    if (!instance) throw new Error(`${instanceId(service, track)} is not declared`);
    instance.status = { ...status };
  }

  status(service: RoutedService, track: Track): InstanceStatus | undefined {
    const status = this.#instances.get(instanceId(service, track))?.status;
    return status && { ...status };
  }

  table(): RouteTable {
    return this.#table;
  }

  resolve(service: RoutedService, headerValues: readonly string[] | undefined): ResolvedRoute {
    const backend = resolveRoute(this.#table, service, headerValues);
    const status = this.#instances.get(instanceId(service, backend.track))?.status;
    if (status?.state === 'running' && status.address) return { backend, address: status.address };
    return { backend, address: undefined, unavailable: instanceUnavailableMessage(backend, status) };
  }

  #rebuild(): void {
    const byPr = new Map<string, RoutedService[]>();
    for (const { service, track } of this.#instances.values()) {
      if (track === 'stable') continue;
      const pr = track.slice('pr-'.length);
      byPr.set(pr, [...(byPr.get(pr) ?? []), service]);
    }
    const canaries: CanaryDeployment[] = [...byPr].map(([pr, services]) => ({ pr, services }));
    this.#table = routeTable(canaries);
  }
}

/** Why `backend` cannot take the request; see {@link routeUnavailableMessage}. */
export function instanceUnavailableMessage(
  backend: RouteBackend,
  status: InstanceStatus | undefined,
): string {
  const pr = backend.track === 'stable' ? undefined : backend.track.slice('pr-'.length);
  const state = !status || status.state === 'running' ? 'stopped' : status.state;
  return routeUnavailableMessage({ service: backend.service, pr }, state, status?.restarts);
}

function instanceId(service: RoutedService, track: Track): string {
  return `${service}@${track}`;
}
