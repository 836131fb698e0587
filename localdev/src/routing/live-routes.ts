import {
  type CanaryDeployment,
  type RouteBackend,
  type RoutedService,
  type RouteTable,
  resolveRoute,
  routeTable,
  type Track,
} from './route-table';

export interface Address {
  host: string;
  port: number;
}

interface RunningInstance {
  service: RoutedService;
  track: Track;
  address: Address;
}

export interface ResolvedRoute {
  backend: RouteBackend;
  /** Undefined when the chosen backend (stable) is not running. */
  address: Address | undefined;
}

/**
 * The routes of the instances that are running right now. An instance is routable from the moment it
 * is added until it is removed (the stack removes a canary the moment its process exits), so a dead
 * canary's key falls back to stable at once.
 */
export class LiveRoutes {
  readonly #instances = new Map<string, RunningInstance>();
  #table: RouteTable = routeTable([]);

  add(service: RoutedService, track: Track, address: Address): void {
    this.#instances.set(instanceId(service, track), { service, track, address });
    this.#rebuild();
  }

  remove(service: RoutedService, track: Track): void {
    this.#instances.delete(instanceId(service, track));
    this.#rebuild();
  }

  table(): RouteTable {
    return this.#table;
  }

  resolve(service: RoutedService, headerValues: readonly string[] | undefined): ResolvedRoute {
    const backend = resolveRoute(this.#table, service, headerValues);
    return { backend, address: this.#instances.get(instanceId(service, backend.track))?.address };
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

function instanceId(service: RoutedService, track: Track): string {
  return `${service}@${track}`;
}
