/**
 * Workloads: selectors, references, pinned and hardened images, what the images and the services'
 * code say (Dockerfiles, probes, env), the web UI's api URL, and the analysis queries.
 */

import { isDeepStrictEqual } from 'node:util';
import { METRIC_FAMILIES } from '@pr-canary/canary-analysis/metrics';
import { isHttpUrl } from '@pr-canary/service-kit/local-traces';
import { readPromql, type Selector } from '@pr-canary/ship-checks/promql';
import type { ImageFacts } from '../image-facts';
import { ENVIRONMENTS } from '../layout';
import {
  type Container,
  containers,
  type KubeObject,
  labelsMatch,
  ofKind,
  podTemplate,
  ref,
} from '../objects';
import {
  edgeServices,
  expectedFacts,
  expectedProbes,
  imageRepository,
  nodeServices,
  SERVICES,
  serviceOf,
  staticServices,
} from '../services';
import {
  type Check,
  containerEnv,
  edgeOrigins,
  exists,
  renders,
  selectsPods,
  type Violation,
  violation,
} from './common';

/** Selectors match pod labels: Deployment selector vs its template, Services and PDBs vs some pods. */
export const selectorsMatch: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ where, objects }) =>
    objects.flatMap((o) => {
      if (
        o.kind === 'Deployment' &&
        !labelsMatch(o.spec.selector.matchLabels, o.spec.template.metadata?.labels)
      ) {
        return [violation(ref(o), `selector does not match its pod template (${where})`)];
      }
      if ((o.kind === 'Service' || o.kind === 'PodDisruptionBudget') && !selectsPods(o, objects)) {
        return [violation(ref(o), `selector matches no pods (${where})`)];
      }
      return [];
    }),
  );

/** Names that point at other objects point at objects that exist in the same render. */
export const references: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ where, objects }) =>
    objects.flatMap((o) => {
      const ns = o.metadata.namespace;
      const missing = (what: string) => violation(ref(o), `${what} does not exist (${where})`);
      switch (o.kind) {
        case 'HorizontalPodAutoscaler':
          return exists(objects, o.spec.scaleTargetRef.kind, o.spec.scaleTargetRef.name, ns)
            ? []
            : [missing(`scale target ${o.spec.scaleTargetRef.kind} ${o.spec.scaleTargetRef.name}`)];
        case 'ServiceMonitor': {
          const port = o.spec.endpoints?.[0]?.port;
          const found = ofKind(objects, 'Service').some(
            (s) =>
              s.metadata.namespace === ns &&
              labelsMatch(o.spec.selector.matchLabels, s.metadata.labels) &&
              s.spec.ports.some((p: { name: string }) => p.name === port),
          );
          return found ? [] : [missing(`a Service with its labels and a port named ${port}`)];
        }
        case 'Canary': {
          const out: Violation[] = [];
          const { targetRef, autoscalerRef } = o.spec;
          if (!exists(objects, targetRef.kind, targetRef.name, ns))
            out.push(missing(`target ${targetRef.name}`));
          if (autoscalerRef && !exists(objects, autoscalerRef.kind, autoscalerRef.name, ns)) {
            out.push(missing(`autoscaler ${autoscalerRef.name}`));
          }
          for (const m of o.spec.analysis.metrics ?? []) {
            if (
              m.templateRef &&
              !exists(objects, 'MetricTemplate', m.templateRef.name, m.templateRef.namespace ?? ns)
            ) {
              out.push(missing(`MetricTemplate ${m.templateRef.name}`));
            }
          }
          return out;
        }
        case 'IngressRoute':
          return (o.spec.routes ?? []).flatMap(
            (route: { services?: { kind?: string; name: string }[]; middlewares?: { name: string }[] }) => [
              ...(route.services ?? [])
                .filter((s) => !routeBackendExists(objects, s, ns))
                .map((s) => missing(`${s.kind ?? 'Service'} ${s.name}`)),
              ...(route.middlewares ?? [])
                .filter((m) => !exists(objects, 'Middleware', m.name, ns))
                .map((m) => missing(`Middleware ${m.name}`)),
            ],
          );
        default:
          return [];
      }
    }),
  );

function routeBackendExists(
  objects: readonly KubeObject[],
  s: { kind?: string; name: string },
  ns?: string,
): boolean {
  if ((s.kind ?? 'Service') === 'Service') return exists(objects, 'Service', s.name, ns);
  if (s.name.endsWith('@internal')) return true;
  // Flagger writes a TraefikService named after each Canary with the traefik provider.
  return (
    exists(objects, 'TraefikService', s.name, ns) ||
    ofKind(objects, 'Canary').some(
      (c) => c.metadata.name === s.name && c.metadata.namespace === ns && c.spec.provider === 'traefik',
    )
  );
}

/** Pinned images only: a tag or digest, never `latest`. */
export const pinnedImages: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ objects }) =>
    objects.flatMap((o) =>
      containers(o)
        .filter(
          (c) =>
            !/@sha256:[0-9a-f]{64}$/.test(c.image) &&
            !/:[\w][\w.-]{0,127}$/.test(c.image.split('/').pop() ?? ''),
        )
        .concat(containers(o).filter((c) => /:latest$/.test(c.image)))
        .map((c) => violation(ref(o), `image ${c.image} is not pinned`)),
    ),
  );

const runsAsNonRoot = (pod: { securityContext?: { runAsNonRoot?: boolean } }, c: Container) =>
  c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;

/** Hardened pods: non-root, read-only root, no escalation, no capabilities, seccomp, requests+limits. */
export const hardenedPods: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ objects }) =>
    objects.flatMap((o) => {
      const pod = podTemplate(o)?.spec;
      if (pod === undefined) return [];
      const bad = (what: string) => violation(ref(o), what);
      const out: Violation[] = [];
      if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault')
        out.push(bad('seccomp profile is not RuntimeDefault'));
      for (const c of containers(o)) {
        const sc = c.securityContext ?? {};
        if (runsAsNonRoot(pod, c) !== true) out.push(bad(`${c.name}: runAsNonRoot is not true`));
        if (sc.readOnlyRootFilesystem !== true) out.push(bad(`${c.name}: root filesystem is writable`));
        if (sc.allowPrivilegeEscalation !== false) out.push(bad(`${c.name}: privilege escalation allowed`));
        if (sc.privileged === true) out.push(bad(`${c.name}: privileged`));
        if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]' || sc.capabilities?.add)
          out.push(bad(`${c.name}: capabilities not dropped`));
        for (const kind of ['requests', 'limits'] as const) {
          for (const resource of ['cpu', 'memory']) {
            if (c.resources?.[kind]?.[resource] === undefined)
              out.push(bad(`${c.name}: no ${resource} ${kind}`));
          }
        }
      }
      if (
        o.kind === 'Deployment' &&
        o.spec.template.metadata?.annotations?.['linkerd.io/inject'] !== 'enabled'
      ) {
        out.push(bad('pods are not Linkerd-injected'));
      }
      if (o.kind === 'Deployment' && o.spec.replicas !== undefined)
        out.push(bad('sets replicas although an HPA owns them'));
      return out;
    }),
  );

/**
 * The manifests run each image the way its Dockerfile built it: as its USER, on ports it EXPOSEs,
 * nginx listening on the http port, the exporter scraping the stub_status address the image serves,
 * and every path the image writes to mounted writable (the root filesystem is read-only).
 */
export const imageContract: Check = ({ corpus, images }) =>
  renders(corpus).flatMap(({ where, objects }) =>
    ofKind(objects, 'Deployment').flatMap((d) => {
      const facts = images[d.metadata.name];
      const pod = podTemplate(d)?.spec;
      const c = containers(d).find((x) => x.name === d.metadata.name);
      if (facts === undefined || c === undefined) return [];
      const bad = (message: string) => violation(ref(d), `${message} (${facts.dockerfile}; ${where})`);
      return [
        ...userMismatch(facts, c, pod, bad),
        ...(c.ports ?? [])
          .filter((p) => !facts.exposedPorts.includes(p.containerPort))
          .map((p) =>
            bad(
              `container port ${p.containerPort} is not one the image exposes (${facts.exposedPorts.join(', ')})`,
            ),
          ),
        ...nginxMismatch(facts, c, containers(d), bad),
        ...facts.writablePaths
          .filter((dir) => {
            const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === dir && m.readOnly !== true);
            return !pod?.volumes?.some(
              (v: { name: string; emptyDir?: unknown }) => v.name === mount?.name && v.emptyDir,
            );
          })
          .map((dir) => bad(`${dir} is not a writable emptyDir, but the image writes there`)),
      ];
    }),
  );

function userMismatch(
  facts: ImageFacts,
  c: Container,
  // biome-ignore lint/suspicious/noExplicitAny: a pod spec as rendered.
  pod: any,
  bad: (message: string) => Violation,
): Violation[] {
  if (facts.user === undefined) return [bad('the image sets no numeric USER to run as')];
  const uid = c.securityContext?.runAsUser ?? pod?.securityContext?.runAsUser;
  const gid = c.securityContext?.runAsGroup ?? pod?.securityContext?.runAsGroup;
  const out: Violation[] = [];
  if (uid !== facts.user.uid) out.push(bad(`runs as uid ${uid}, the image as ${facts.user.uid}`));
  if (facts.user.gid !== undefined && gid !== facts.user.gid)
    out.push(bad(`runs as gid ${gid}, the image as ${facts.user.gid}`));
  return out;
}

function nginxMismatch(
  facts: ImageFacts,
  c: Container,
  all: readonly Container[],
  bad: (message: string) => Violation,
): Violation[] {
  if (facts.listens.length === 0) return [];
  const out: Violation[] = [];
  const http = (c.ports ?? []).find((p) => p.name === 'http')?.containerPort;
  const open = facts.listens.filter((l) => l.address === undefined || l.address === '0.0.0.0');
  if (!open.some((l) => l.port === http))
    out.push(bad(`nginx listens on ${open.map((l) => l.port).join(', ')}, not on the http port ${http}`));
  if (facts.stubStatus !== undefined) {
    const uri = `http://${facts.stubStatus.address ?? '127.0.0.1'}:${facts.stubStatus.port}/stub_status`;
    if (!all.some((x) => (x.args ?? []).includes(`--nginx.scrape-uri=${uri}`)))
      out.push(bad(`no exporter scrapes ${uri}, where the image serves stub_status`));
  }
  return out;
}

/**
 * The web UI (a static bundle of the registry) finds the api through /config.json in the nginx html
 * root (apps/web src/config.ts): it is mounted there, and its apiUrl is an origin its environment's
 * edge serves an edge service at. Without it the UI would call its built-in default,
 * http://localhost:8080.
 */
export const webApiUrl: Check = ({ corpus, images }) =>
  ENVIRONMENTS.flatMap((env) => {
    const objects = corpus.overlays[env];
    const apiOrigins = edgeServices().flatMap((api) => edgeOrigins(objects, api.name));
    return staticServices().flatMap((ui) => {
      const path = `${images[ui.name]?.htmlRoot}/config.json`;
      return ofKind(objects, 'Deployment')
        .filter((d) => d.metadata.name === ui.name)
        .flatMap((d) => {
          const mount = containers(d)
            .find((c) => c.name === ui.name)
            ?.volumeMounts?.find((m) => m.mountPath === path);
          const volume = podTemplate(d)?.spec.volumes?.find((v: { name: string }) => v.name === mount?.name);
          const data = objects.find(
            (o) => o.kind === 'ConfigMap' && o.metadata.name === volume?.configMap?.name,
          )?.data?.[mount?.subPath ?? ''];
          if (data === undefined) return [violation(ref(d), `no config.json mounted at ${path} (${env})`)];
          const apiUrl = readApiUrl(data);
          return apiOrigins.includes(apiUrl ?? '')
            ? []
            : [
                violation(
                  ref(d),
                  `config.json apiUrl ${apiUrl} is not the api edge ${apiOrigins.join(' or ')} (${env})`,
                ),
              ];
        });
    });
  });

function readApiUrl(json: string): string | undefined {
  try {
    const value = JSON.parse(json) as { apiUrl?: unknown };
    return typeof value.apiUrl === 'string' ? value.apiUrl : undefined;
  } catch {
    return undefined;
  }
}

const probeTarget = (probe: Record<string, unknown> | undefined) =>
  JSON.stringify({
    httpGet: probe?.httpGet,
    grpc: probe?.grpc,
    exec: probe?.exec,
    tcpSocket: probe?.tcpSocket,
  });

/**
 * Probes match what each service serves and what its image contains (`expectedProbes`): HTTP
 * /healthz and /readyz for an http Node service, native gRPC health on the gRPC port for a grpc one
 * (no grpc_health_probe binary in the image; readiness for its registered gRPC service), HTTP / for
 * a static bundle; ports named in the probe exist on the container.
 */
export const probes: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ objects }) =>
    ofKind(objects, 'Deployment').flatMap((o) => {
      const service = serviceOf(o.metadata.name);
      const expected = service && expectedProbes(service);
      const c = containers(o).find((x) => x.name === o.metadata.name);
      if (expected === undefined || c === undefined) return [];
      const out: Violation[] = [];
      const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
      for (const [kind, probe] of [
        ['readiness', c.readinessProbe],
        ['liveness', c.livenessProbe],
      ] as const) {
        const want = expected[kind] as Record<string, unknown>;
        if (probeTarget(probe) !== probeTarget(want))
          out.push(violation(ref(o), `${kind} probe ${probeTarget(probe)} should be ${probeTarget(want)}`));
        const port = probe?.httpGet?.port ?? probe?.grpc?.port;
        const known = typeof port === 'number' ? [...ports.values()].includes(port) : ports.has(port);
        if (!known) out.push(violation(ref(o), `${kind} probe port ${port} is not a container port`));
      }
      const grpcPort = ports.get('grpc');
      if (c.readinessProbe?.grpc && c.readinessProbe.grpc.port !== grpcPort) {
        out.push(violation(ref(o), 'gRPC probe is not on the gRPC port'));
      }
      return out;
    }),
  );

/** Env var names are the ones the service reads, required ones are set, and the values parse. */
export const serviceEnv: Check = ({ corpus, env }) =>
  renders(corpus).flatMap(({ objects }) =>
    nodeServices().flatMap(({ name: service, protocol }) =>
      containerEnv(objects, service).flatMap(({ o, env: values }) => {
        const contract = env[service];
        if (contract === undefined) return [violation(ref(o), `no config schema read for ${service}`)];
        const out: Violation[] = [];
        for (const name of Object.keys(values)) {
          if (!contract.names.has(name) && !name.startsWith('OTEL_'))
            out.push(violation(ref(o), `${service} does not read ${name}`));
        }
        for (const name of contract.required) {
          if (!values[name]) out.push(violation(ref(o), `${name} is required by ${service}`));
        }
        for (const problem of contract.problems(values)) out.push(violation(ref(o), problem));
        if (!isHttpUrl(values.OTEL_EXPORTER_OTLP_ENDPOINT ?? ''))
          out.push(
            violation(
              ref(o),
              'OTEL_EXPORTER_OTLP_ENDPOINT must name the collector: unset, the SDK sends to localhost:4318 in the pod, where nothing listens',
            ),
          );
        const ports = new Map(
          (containers(o).find((c) => c.name === service)?.ports ?? []).map((p) => [p.name, p.containerPort]),
        );
        if (String(ports.get(protocol)) !== values.PORT)
          out.push(violation(ref(o), 'PORT is not the serving container port'));
        if (String(ports.get('metrics')) !== values.METRICS_PORT)
          out.push(violation(ref(o), 'METRICS_PORT is not the metrics container port'));
        return out;
      }),
    ),
  );

/** The labels that mark a request as failed (status_code, grpc_code), canary-analysis' METRIC_FAMILIES. */
const ERROR_LABELS: readonly string[] = Object.values(METRIC_FAMILIES).map((family) => family.errorLabel);

/**
 * Analysis queries only the series the services export, with their label names, and its error counts
 * fall back to 0 when no call failed.
 */
export const metricTemplates: Check = ({ corpus, metrics }) =>
  ENVIRONMENTS.flatMap((env) =>
    ofKind(corpus.overlays[env], 'MetricTemplate').flatMap((t) => {
      const out: Violation[] = [];
      let selectors: Selector[];
      try {
        selectors = readPromql(String(t.spec.query)).selectors;
      } catch (error) {
        return [violation(ref(t), `query is not PromQL: ${(error as Error).message}`)];
      }
      if (selectors.length === 0) out.push(violation(ref(t), 'query selects no series'));
      for (const selector of selectors) {
        if (selector.metrics.length === 0) out.push(violation(ref(t), 'a selector names no metric'));
        for (const series of selector.metrics) {
          const base = series.replace(/_(bucket|sum|count)$/, '');
          const labels = metrics.get(series) ?? metrics.get(base);
          if (labels === undefined) {
            out.push(violation(ref(t), `${series} is not a metric the services export`));
            continue;
          }
          for (const { label } of selector.matchers) {
            if (!['namespace', 'pod', 'le', ...labels].includes(label))
              out.push(violation(ref(t), `${series} has no label ${label}`));
          }
        }
        const errors = selector.matchers.find(
          (m) => ERROR_LABELS.includes(m.label) && (m.op === '=' || m.op === '=~'),
        );
        if (errors !== undefined && selector.fallback !== 0)
          out.push(
            violation(
              ref(t),
              `the errors (${errors.label}${errors.op}"${errors.value}") do not fall back to 0: with no error series the sum is empty, Flagger counts "no values" as a failed check and rolls a healthy release back; write (sum(rate(…)) or on() vector(0))`,
            ),
          );
      }
      return out;
    }),
  );

/**
 * The services the registry lists are the ones the manifests run, with the registry's facts: every
 * Node service's base hands components/service exactly its registry facts (base/<name>/facts.yaml:
 * name, short name, image, protocol, ports, gRPC service), and every overlay runs a Deployment of
 * every registered service from its image repository — and none the registry does not list.
 */
export const serviceBases: Check = ({ corpus }) => [
  ...nodeServices().flatMap((service) => {
    const subject = `base/${service.name}`;
    const found = corpus.facts[service.name] ?? [];
    const want = expectedFacts(corpus.config, service);
    if (found.length !== 1)
      return [
        violation(
          subject,
          `needs one ServiceFacts in facts.yaml (the registry's facts), found ${found.length}`,
        ),
      ];
    return isDeepStrictEqual(found[0], want)
      ? []
      : [
          violation(
            subject,
            `facts ${JSON.stringify(found[0])} are not the registry's ${JSON.stringify(want)}`,
          ),
        ];
  }),
  ...ENVIRONMENTS.flatMap((env) => {
    const deployments = ofKind(corpus.overlays[env], 'Deployment');
    return [
      ...SERVICES.filter((s) => !deployments.some((d) => d.metadata.name === s.name)).map((s) =>
        violation(
          `overlay ${env}`,
          `runs no Deployment ${s.name}, a registered service (add base/${s.name})`,
        ),
      ),
      ...deployments.flatMap((d) => {
        const service = serviceOf(d.metadata.name);
        if (service === undefined)
          return [
            violation(ref(d), `is no registered service (packages/contracts/src/services.json) (${env})`),
          ];
        const repository = imageRepository(corpus.config, service);
        const image = containers(d).find((c) => c.name === service.name)?.image ?? '';
        return image.startsWith(`${repository}:`)
          ? []
          : [violation(ref(d), `image ${image} is not from ${repository}, the registry's (${env})`)];
      }),
    ];
  }),
];

/**
 * Every HorizontalPodAutoscaler scales on the CPU of a container of its target Deployment
 * (`ContainerResource`), never on the pod's (`Resource`): Linkerd's injected proxy has no CPU request
 * with the default chart, and a pod-wide utilisation then cannot be computed (FailedGetResourceMetric,
 * the HPA Degraded in Argo CD). Flagger copies these metrics to the -primary HPA, whose Deployment has
 * the same containers.
 */
export const hpaContainerMetrics: Check = ({ corpus }) =>
  renders(corpus).flatMap(({ where, objects }) =>
    ofKind(objects, 'HorizontalPodAutoscaler').flatMap((hpa) => {
      const target = objects.find(
        (o) =>
          o.kind === hpa.spec.scaleTargetRef?.kind &&
          o.metadata.name === hpa.spec.scaleTargetRef?.name &&
          o.metadata.namespace === hpa.metadata.namespace,
      );
      const names = target === undefined ? [] : containers(target).map((c) => c.name);
      const metrics: {
        type: string;
        resource?: { name: string };
        containerResource?: { name: string; container: string };
      }[] = hpa.spec.metrics ?? [];
      const out: Violation[] = [];
      for (const metric of metrics) {
        if (metric.type === 'Resource' && metric.resource?.name === 'cpu')
          out.push(
            violation(
              ref(hpa),
              `scales on the pod's CPU (type Resource): the Linkerd proxy has no CPU request, so utilisation cannot be computed; use ContainerResource on its own container (${where})`,
            ),
          );
        const container = metric.containerResource?.container;
        if (metric.type === 'ContainerResource' && !names.includes(container ?? ''))
          out.push(
            violation(
              ref(hpa),
              `ContainerResource container ${container} is not a container of ${hpa.spec.scaleTargetRef?.kind} ${hpa.spec.scaleTargetRef?.name} (${names.join(', ') || 'not found'}) (${where})`,
            ),
          );
      }
      if (!metrics.some((m) => m.type === 'ContainerResource' && m.containerResource?.name === 'cpu'))
        out.push(violation(ref(hpa), `has no per-container CPU metric (${where})`));
      return out;
    }),
  );
