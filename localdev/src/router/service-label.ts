import { type Hop, nodeServices, type ServiceEntry } from '@pr-canary/contracts/services';

/** The first DNS label of a Host header or `:authority` (`store` of `store.localhost:8081`), lower-cased. */
const FIRST_LABEL = /^([a-z0-9-]+)(?:[.:]|$)/i;

/**
 * The registry's Node services of one hop, by the name a Host header or `:authority` gives them (first
 * label = a short name or a name). The registry is fixed at build time: looked up once, not per request.
 */
export class ServicesByLabel {
  readonly services: readonly ServiceEntry[];
  readonly #byLabel = new Map<string, ServiceEntry>();

  constructor(hop: Hop) {
    this.services = nodeServices().filter((service) => service.hop === hop);
    // Reversed, so the registry's first entry wins a label two entries would share.
    for (const service of [...this.services].reverse()) {
      this.#byLabel.set(service.name, service);
      this.#byLabel.set(service.short, service);
    }
  }

  /** The service whose short name or name is the first label of `host`. */
  named(host: string | undefined): ServiceEntry | undefined {
    const label = FIRST_LABEL.exec(host ?? '')?.[1];
    return label === undefined ? undefined : this.#byLabel.get(label.toLowerCase());
  }
}
