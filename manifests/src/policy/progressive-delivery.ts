/**
 * Progressive delivery (components/progressive-delivery, production): Flagger rolls out every Node
 * service of the registry — the services that export the `pr_canary_*` series the MetricTemplates read —
 * through a Canary of its own, shifting weight where its hop routes it. What the Canaries' gates are is
 * packages/canary-analysis' (PROTOCOL_GATES), and its agreement test holds every Canary file to them.
 */
import { type KubeObject, ofKind, podTemplate, ref } from '../objects';
import { connectionAllowed, type Endpoint, namespaceLabels } from '../reachability';
import { nodeServices, type ServiceEntry } from '../services';
import { type Check, renders, syncWave, type Violation, violation } from './common';

/** Where flagger-loadtester runs the analysis webhooks (the component README's requirement). */
const LOADTESTER: Endpoint = {
  name: 'flagger-loadtester',
  namespace: 'flagger-system',
  labels: { 'app.kubernetes.io/name': 'loadtester' },
  ip: '10.42.3.2',
  ports: [],
};

/** Each Kubernetes Service of ours maps port 80 to the container port (components/service). */
const SERVICE_PORT = 80;

/**
 * In production, every Node service has exactly one Canary, named after it: on its Deployment (and
 * its HPA), its container port under the protocol's port name, weight shifted at its hop — `traefik`
 * at the edge, with the service's IngressRoute sending only to the TraefikService Flagger writes;
 * `gatewayapi:v1` on its own Service in the mesh (Linkerd applies the HTTPRoute) — with no Service of
 * its name shipped (Flagger generates it), and flagger-loadtester admitted to its pods for the
 * webhooks. No Canary names anything else.
 */
export const progressiveDelivery: Check = ({ corpus }) => {
  const objects = corpus.overlays.production;
  const namespace = corpus.config.stableNamespace;
  const services = nodeServices();
  const canaries = ofKind(objects, 'Canary');
  const out: Violation[] = canaries
    .filter((c) => !services.some((s) => s.name === c.metadata.name))
    .map((c) => violation(ref(c), 'is not a Node service of the registry: Flagger would analyse no metrics'));
  for (const service of services) {
    const mine = canaries.filter((c) => c.metadata.name === service.name);
    if (mine.length !== 1) {
      out.push(
        violation(
          'overlay production',
          `needs one Flagger Canary ${service.name} (components/progressive-delivery/canary-${service.name}.yaml), found ${mine.length}`,
        ),
      );
      continue;
    }
    out.push(...canaryProblems(mine[0] as KubeObject, service, namespace, objects));
  }
  return out;
};

function canaryProblems(
  canary: KubeObject,
  service: ServiceEntry,
  namespace: string,
  objects: readonly KubeObject[],
): Violation[] {
  const bad = (message: string) => violation(ref(canary), message);
  const out: Violation[] = [];
  const { targetRef, autoscalerRef, provider } = canary.spec;
  if (targetRef?.kind !== 'Deployment' || targetRef?.name !== service.name)
    out.push(bad(`targets ${targetRef?.kind} ${targetRef?.name}, not the Deployment ${service.name}`));
  if (autoscalerRef?.name !== service.name)
    out.push(bad(`scales with ${autoscalerRef?.name ?? 'no autoscaler'}, not the HPA ${service.name}`));
  const port = canary.spec.service ?? {};
  if (port.port !== SERVICE_PORT || port.targetPort !== service.port || port.portName !== service.protocol)
    out.push(
      bad(
        `service port ${port.port} → ${port.targetPort} (${port.portName}) is not ${SERVICE_PORT} → ${service.port} (${service.protocol})`,
      ),
    );
  if (service.hop === 'edge') {
    if (provider !== 'traefik')
      out.push(bad(`provider ${provider}: an edge service shifts weight at Traefik`));
    const route = objects.find((o) => o.kind === 'IngressRoute' && o.metadata.name === service.name);
    const backends = (route?.spec.routes ?? []).flatMap(
      (rule: { services?: { kind?: string; name: string }[] }) => rule.services ?? [],
    );
    if (
      backends.length === 0 ||
      backends.some(
        (b: { kind?: string; name: string }) => b.kind !== 'TraefikService' || b.name !== service.name,
      )
    )
      out.push(
        bad(
          `IngressRoute ${service.name} must send only to the TraefikService ${service.name} Flagger writes, not ${JSON.stringify(backends)}`,
        ),
      );
  } else {
    const refs: { group?: string; kind?: string; name?: string; namespace?: string; port?: number }[] =
      port.gatewayRefs ?? [];
    const ownService = refs.some(
      (g) =>
        g.group === 'core' &&
        g.kind === 'Service' &&
        g.name === service.name &&
        g.namespace === namespace &&
        g.port === SERVICE_PORT,
    );
    if (provider !== 'gatewayapi:v1' || refs.length !== 1 || !ownService)
      out.push(
        bad(
          `a mesh service shifts weight with provider gatewayapi:v1 on its own Service (gatewayRefs core/Service ${namespace}/${service.name}:${SERVICE_PORT}), not ${provider} on ${JSON.stringify(refs)}`,
        ),
      );
  }
  if (objects.some((o) => o.kind === 'Service' && o.metadata.name === service.name))
    out.push(
      bad(`Service ${service.name} is shipped too: Flagger generates it (delete it in the component)`),
    );
  for (const hook of canary.spec.analysis?.webhooks ?? []) {
    const cmd = String(hook.metadata?.cmd ?? '');
    if (/(^|\s)ghz\s/.test(cmd) && !/\s--proto(set)?[=\s]/.test(cmd))
      out.push(
        bad(
          `webhook ${hook.name}: ghz without --proto needs server reflection, which the services do not register; use --proto=/tmp/ghz/health.proto (shipped in flagger-loadtester)`,
        ),
      );
  }
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === service.name);
  if (deployment && !loadtesterReaches(deployment, service, objects))
    out.push(bad(`flagger-loadtester cannot reach ${service.name}:${service.port} for the webhooks`));
  return out;
}

/** Whether the rendered NetworkPolicies let flagger-loadtester open the service's port on its pods. */
function loadtesterReaches(deployment: KubeObject, service: ServiceEntry, objects: readonly KubeObject[]) {
  const pod: Endpoint = {
    name: service.name,
    namespace: deployment.metadata.namespace,
    labels: podTemplate(deployment)?.metadata?.labels,
    ip: '10.42.0.10',
    ports: [{ port: service.port }],
  };
  const cluster = {
    namespaces: namespaceLabels(ofKind(objects, 'Namespace'), [
      LOADTESTER.namespace as string,
      deployment.metadata.namespace ?? '',
    ]),
    policies: ofKind(objects, 'NetworkPolicy'),
  };
  return connectionAllowed(LOADTESTER, pod, { port: service.port }, cluster);
}

/**
 * No Canary is in a later sync wave than a Deployment it ships with. Flagger creates the traffic
 * Services (`<name>`, `-primary`, `-canary`) from the Canary, and the component deletes ours; a
 * Deployment whose readiness needs another service's Service (the api needs the store's) would never
 * become healthy in an earlier wave, so Argo CD would never reach the Canary's wave. Flagger waits for
 * its target Deployment by itself.
 */
export const canaryWaves: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ where, objects }) => {
    const deployments = ofKind(objects, 'Deployment');
    return ofKind(objects, 'Canary').flatMap((canary) => {
      const earlier = deployments.filter((d) => syncWave(d) < syncWave(canary));
      if (earlier.length === 0) return [];
      return [
        violation(
          ref(canary),
          `sync wave ${syncWave(canary)} is after Deployment ${earlier.map((d) => `${d.metadata.name} (${syncWave(d)})`).join(', ')}: Flagger creates the Services only from the Canary, a Deployment that needs one (the api the store's) never becomes healthy, and the first sync never reaches the Canary (${where})`,
        ),
      ];
    });
  });
