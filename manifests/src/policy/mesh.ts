/** Linkerd: what turns GRPCRoute routing off for the store (besides appProtocol, see routing.ts). */
import { ofKind, podTemplate, ref } from '../objects';
import { meshServices } from '../services';
import { type Check, renders, violation } from './common';

const OPAQUE = 'config.linkerd.io/opaque-ports';

/** `config.linkerd.io/opaque-ports` value: port numbers, names and ranges, comma-separated. */
export function opaquePortsCover(value: string, ports: readonly (number | string)[]): boolean {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .some((item) => {
      const range = /^(\d+)-(\d+)$/.exec(item);
      return ports.some((port) =>
        range
          ? typeof port === 'number' && port >= Number(range[1]) && port <= Number(range[2])
          : String(port) === item,
      );
    });
}

/**
 * Opaque ports are proxied as plain TCP: no GRPCRoute applies, exactly like `appProtocol: grpc`.
 * Refused, for every mesh service, on its Service (its ports), on its pod template and on the
 * Namespace its pods run in (both name the container ports).
 */
export const opaqueStorePorts: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ objects }) =>
    meshServices().flatMap(({ name }) => {
      const services = ofKind(objects, 'Service').filter((s) => s.metadata.name === name);
      const workloads = ofKind(objects, 'Deployment').filter((d) => d.metadata.name === name);
      const servicePorts = services.flatMap((s) =>
        (s.spec.ports ?? []).flatMap((p: { port: number; name?: string; targetPort?: number | string }) => [
          p.port,
          ...(p.name ? [p.name] : []),
        ]),
      );
      const containerPorts = workloads.flatMap((d) =>
        (podTemplate(d)?.spec?.containers ?? []).flatMap(
          (c: { ports?: { containerPort: number; name?: string }[] }) =>
            (c.ports ?? []).flatMap((p) => [p.containerPort, ...(p.name ? [p.name] : [])]),
        ),
      );
      const storeNamespaces = new Set(workloads.map((d) => d.metadata.namespace));
      const annotated = [
        ...services.map((o) => ({ o, value: o.metadata.annotations?.[OPAQUE], ports: servicePorts })),
        ...workloads.map((o) => ({
          o,
          value: podTemplate(o)?.metadata?.annotations?.[OPAQUE],
          ports: containerPorts,
        })),
        ...ofKind(objects, 'Namespace')
          .filter((n) => storeNamespaces.has(n.metadata.name))
          .map((o) => ({ o, value: o.metadata.annotations?.[OPAQUE], ports: containerPorts })),
      ];
      return annotated
        .filter(({ value, ports }) => value !== undefined && opaquePortsCover(String(value), ports))
        .map(({ o, value }) =>
          violation(
            ref(o),
            `${OPAQUE}: "${value}" makes the gRPC port of ${name} opaque; GRPCRoutes stop applying`,
          ),
        );
    }),
  );
