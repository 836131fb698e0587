import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { CANARY_SERVICES } from '../../../.github/scripts/services.mjs';
import { renderedObject } from '../src/kustomize';
import { readRepoFile, repoPath } from '../src/repo';
import { run } from '../src/tools';

const BOOTSTRAP = repoPath('localdev/cluster/bootstrap.sh');
const INTERCEPT = repoPath('localdev/telepresence/intercept.sh');

/** versions.env as name → value, refusing anything but comments and NAME=value lines. */
function readVersions(): Map<string, string> {
  const versions = new Map<string, string>();
  for (const line of readRepoFile('localdev/cluster/versions.env').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(\S+)$/.exec(line);
    if (!match) throw new Error(`versions.env: not NAME=value: ${line}`);
    versions.set(match[1] as string, match[2] as string);
  }
  return versions;
}

// A PATH with only the shell basics the dry run uses (and node, which reads the service registry): if
// it tried to run k3d, helm, kubectl or openssl, the command would not be found and the run would fail.
const bin = mkdtempSync(path.join(tmpdir(), 'ship-checks-bin-'));
for (const tool of ['bash', 'grep', 'tr', 'dirname', 'cat', 'sed', 'node']) {
  const found = run('bash', ['-c', `command -v ${tool}`]).stdout.trim();
  symlinkSync(found, path.join(bin, tool));
}
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function dryRun(script: string, args: string[], env: Record<string, string> = {}) {
  return run(path.join(bin, 'bash'), [script, ...args], {
    env: { PATH: bin, HOME: bin, STATE_DIR: '/state', ...env },
  });
}

const versions = readVersions();
const up = dryRun(BOOTSTRAP, ['--dry-run', 'up']);
const commands = up.stdout.split('\n').filter((line) => line.startsWith('+ '));

describe('versions.env', () => {
  it('pins every component to an exact version, never latest', () => {
    expect(versions.size).toBeGreaterThanOrEqual(12);
    for (const [name, value] of versions) {
      expect(value, name).toMatch(/\d+\.\d+\.\d+/);
      expect(value, name).not.toMatch(/latest/i);
    }
  });

  it('pins the Gateway API CRDs REFERENCE.md gives for Linkerd 2.20', () => {
    expect(versions.get('GATEWAY_API_VERSION')).toBe('v1.2.1');
  });
});

describe('bootstrap.sh --dry-run up', () => {
  it('runs without any of the cluster tools installed and prints the commands', () => {
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(commands.length).toBeGreaterThan(15);
  });

  it('prints every pinned version', () => {
    for (const [name, value] of versions) expect(up.stdout).toContain(`${name}=${value}`);
  });

  it('installs every Helm chart with upgrade --install at a version from versions.env', () => {
    const helm = commands.filter((line) => line.startsWith('+ helm '));
    expect(helm.length).toBe(12);
    const pinned = new Set(versions.values());
    for (const line of helm) {
      expect(line).toMatch(/^\+ helm upgrade --install /);
      const version = /--version (\S+)/.exec(line)?.[1];
      expect(pinned.has(version ?? ''), line).toBe(true);
    }
  });

  it('installs the Gateway API CRDs, cert-manager, observability, Linkerd, Traefik, Flagger and Argo CD in order', () => {
    const order = [
      'gateway-api/releases/download/v1.2.1/standard-install.yaml',
      'helm upgrade --install cert-manager ',
      // The Prometheus operator CRDs first: Traefik's chart renders a ServiceMonitor and fails without them.
      'helm upgrade --install kube-prometheus-stack ',
      'helm upgrade --install tempo ',
      'helm upgrade --install loki ',
      'helm upgrade --install alloy ',
      'helm upgrade --install linkerd2-cni ',
      'helm upgrade --install linkerd-crds ',
      'helm upgrade --install linkerd-control-plane ',
      'helm upgrade --install traefik ',
      'helm upgrade --install flagger ',
      'helm upgrade --install argocd ',
      'manifests/argocd/applications/root.yaml',
    ];
    const positions = order.map((needle) => commands.findIndex((line) => line.includes(needle)));
    for (const [index, position] of positions.entries())
      expect(position, order[index]).toBeGreaterThanOrEqual(0);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('uses a values file for each release that has one, and every values file is used', () => {
    const used = commands.flatMap((line) => [...line.matchAll(/--values (\S+)/g)].map((match) => match[1]));
    const files = readdirSync(repoPath('localdev/cluster/values')).map((file) =>
      repoPath('localdev/cluster/values', file),
    );
    expect(used.sort()).toEqual(files.sort());
  });

  it('only applies and upgrades (safe to run again), apart from creating the cluster', () => {
    for (const line of commands.filter((command) => command.startsWith('+ kubectl '))) {
      expect(line).toMatch(/^\+ kubectl( -n \S+)? (apply|create secret generic \S+ .*\| kubectl apply -f -)/);
    }
    expect(commands.filter((line) => line.includes(' create '))).toHaveLength(2);
  });

  it('stores GITHUB_TOKEN for the PR generator without ever printing it', () => {
    const withToken = dryRun(BOOTSTRAP, ['--dry-run', 'register-apps'], { GITHUB_TOKEN: 'ghp_secret123' });
    expect(withToken.stdout).toContain('create secret generic github-token');
    expect(withToken.stdout + withToken.stderr).not.toContain('ghp_secret123');
  });

  it('creates a k3d cluster from the pinned k3s image, or a kind cluster from the pinned node image', () => {
    expect(commands).toContain(
      `+ k3d cluster create pr-canary --image ${versions.get('K3S_IMAGE')} --servers 1 --agents 0 --port 8081:30080@server:0 --port 8443:30443@server:0 --k3s-arg --disable=traefik@server:0 --wait`,
    );
    const kind = dryRun(BOOTSTRAP, ['--dry-run', 'up'], { CLUSTER_PROVIDER: 'kind' });
    expect(kind.stdout).toContain(
      `+ kind create cluster --name pr-canary --image ${versions.get('KIND_NODE_IMAGE')}`,
    );
  });

  it('provisions the canary-vs-stable dashboard for Grafana', () => {
    expect(commands).toContain(`+ kubectl apply -k ${repoPath('localdev/cluster/dashboards')}`);
  });

  it('keeps generated Linkerd certificates in the state folder, never in the repository', () => {
    const certs = commands.filter((line) => line.includes('openssl'));
    expect(certs).toHaveLength(3);
    for (const line of certs) expect(line).toContain('/state/linkerd/');
  });
});

describe('values files', () => {
  const values = (release: string) => parseYaml(readRepoFile(`localdev/cluster/values/${release}.yaml`));

  it('Grafana’s sidecar loads the dashboards component by its label, into the folder its annotation names', () => {
    const component = parseYaml(readRepoFile('manifests/components/grafana-dashboards/kustomization.yaml'));
    const generated = component.configMapGenerator[0].options;
    const sidecar = values('kube-prometheus-stack').grafana.sidecar.dashboards;
    expect(sidecar).toMatchObject({ enabled: true, searchNamespace: 'ALL' });
    expect(generated.labels).toEqual({ [sidecar.label]: sidecar.labelValue });
    expect(Object.keys(generated.annotations)).toEqual([sidecar.folderAnnotation]);
    expect(sidecar.provider.foldersFromFilesStructure).toBe(true);
  });

  /** The manifests README's add-on table row of `addOn`: what a cluster needs, as the local cluster installs it. */
  const addOnRow = (addOn: string) =>
    readRepoFile('manifests/README.md')
      .split('\n')
      .find((line) => line.startsWith(`| ${addOn} `)) ?? '';

  it('Prometheus selects every ServiceMonitor in every namespace (PR canaries included), as the manifests README requires', () => {
    const spec = values('kube-prometheus-stack').prometheus.prometheusSpec;
    expect(spec.serviceMonitorSelectorNilUsesHelmValues).toBe(false);
    expect(spec.serviceMonitorNamespaceSelector).toEqual({});
    const row = addOnRow('prometheus-operator');
    expect(row).toContain('`serviceMonitorSelectorNilUsesHelmValues: false`');
    expect(row).toContain('`serviceMonitorNamespaceSelector: {}`');
  });

  it('Traefik keeps the route of a Service with no ready endpoint (503), so a PR canary that is down never falls back to stable, as the manifests README requires', () => {
    expect(values('traefik').providers.kubernetesCRD.allowEmptyServices).toBe(true);
    expect(addOnRow('Traefik')).toContain('`providers.kubernetesCRD.allowEmptyServices: true`');
  });

  it('puts Argo CD settings where Argo CD reads them (argocd-cm keys under configs.cm)', () => {
    const configs = values('argocd').configs;
    expect(configs.cm['timeout.reconciliation']).toBe('60s');
    expect(Object.keys(configs.params)).not.toContain('timeout.reconciliation');
  });

  it('restores the Application health check (sync waves of the root app), the same Lua as the documented install', () => {
    const key = 'resource.customizations.health.argoproj.io_Application';
    const documented = parseYaml(readRepoFile('manifests/argocd/install/argocd-cm.yaml')).data[key];
    expect(documented).toContain('hs.status = obj.status.health.status');
    expect(values('argocd').configs.cm[key]).toBe(documented);
  });
});

describe('the local cluster can run what the manifests ship', () => {
  const docs = readRepoFile('localdev/cluster/README.md');

  it('meshes Pod Security restricted namespaces through the Linkerd CNI plugin (no NET_ADMIN init container)', () => {
    // The platform's namespaces, and each PR canary's namespace as its PR source renders it.
    const canaryNamespaces = CANARY_SERVICES.map((service) =>
      renderedObject(`manifests/pr-canary/${service.short}`, 'Namespace'),
    );
    const namespaces = [
      ...parseAllDocuments(readRepoFile('manifests/platform/namespaces.yaml')).map((d) => d.toJSON()),
      ...canaryNamespaces,
    ].filter((ns) => ns?.metadata?.annotations?.['linkerd.io/inject'] === 'enabled');
    expect(canaryNamespaces.length).toBeGreaterThanOrEqual(2);
    expect(namespaces.length).toBeGreaterThanOrEqual(canaryNamespaces.length + 1);
    for (const ns of namespaces)
      expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(parseYaml(readRepoFile('localdev/cluster/values/linkerd-control-plane.yaml')).cniEnabled).toBe(
      true,
    );
    const cni = commands.findIndex((line) => line.startsWith('+ helm upgrade --install linkerd2-cni '));
    const controlPlane = commands.findIndex((line) =>
      line.startsWith('+ helm upgrade --install linkerd-control-plane '),
    );
    expect(cni).toBeGreaterThanOrEqual(0);
    expect(cni).toBeLessThan(controlPlane);
    expect(commands[cni]).toContain('--set destCNINetDir=/var/lib/rancher/k3s/agent/etc/cni/net.d');
  });

  it("maps both of Traefik's entry points, and the documented curl uses websecure where the routes are", () => {
    const traefik = parseYaml(readRepoFile('localdev/cluster/values/traefik.yaml')).ports;
    const create = commands.find((line) => line.startsWith('+ k3d cluster create')) ?? '';
    expect(create).toContain(`:${traefik.web.nodePort}@server:0`);
    expect(create).toContain(`8443:${traefik.websecure.nodePort}@server:0`);
    const kind = parseYaml(readRepoFile('localdev/cluster/kind-config.yaml')).nodes[0].extraPortMappings;
    expect(kind.map((m: { containerPort: number }) => m.containerPort).sort()).toEqual(
      [traefik.web.nodePort, traefik.websecure.nodePort].sort(),
    );
    // Every edge-routed PR canary's IngressRoute, as its PR source renders it.
    const edgeCanaries = CANARY_SERVICES.filter((service) => service.hop === 'edge');
    expect(edgeCanaries.length).toBeGreaterThan(0);
    for (const service of edgeCanaries) {
      const route = renderedObject(`manifests/pr-canary/${service.short}`, 'IngressRoute');
      expect(route.spec.entryPoints, service.name).toEqual(['websecure']);
    }
    expect(docs).toMatch(
      /curl -k --resolve api\.int-001\.example\.com:8443:127\.0\.0\.1 .*https:\/\/api\.int-001\.example\.com:8443\/api\/route/,
    );
    expect(docs).not.toMatch(/curl [^\n]*http:\/\/api\.int-001/);
  });

  it('creates the issuer the edge Certificate names', () => {
    const certificate = parseYaml(readRepoFile('manifests/components/edge-tls/certificate.yaml'));
    const issuers = parseAllDocuments(readRepoFile('localdev/cluster/platform/selfsigned-issuer.yaml')).map(
      (d) => d.toJSON(),
    );
    const { kind, name } = certificate.spec.issuerRef;
    expect(issuers.some((o) => o.kind === kind && o.metadata.name === name)).toBe(true);
    expect(commands).toContain(
      `+ kubectl apply -f ${repoPath('localdev/cluster/platform/selfsigned-issuer.yaml')}`,
    );
  });

  it('gives the collector the services send traces to (their OTEL_EXPORTER_OTLP_ENDPOINT) a name here, leading to Tempo', () => {
    const workload = parseAllDocuments(readRepoFile('manifests/components/service/workload.yaml')).map((d) =>
      d.toJSON(),
    );
    const env = workload.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].env;
    const endpoint = new URL(
      env.find((e: { name: string }) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT').value,
    );
    const [name, namespace] = endpoint.hostname.split('.');
    const platform = parseAllDocuments(readRepoFile('localdev/cluster/platform/otel-collector.yaml')).map(
      (d) => d.toJSON(),
    );
    const service = platform.find((o) => o.kind === 'Service');
    expect(service.metadata).toEqual({ name, namespace });
    expect(platform.some((o) => o.kind === 'Namespace' && o.metadata.name === namespace)).toBe(true);
    // Tempo's OTLP receiver listens where the services send.
    expect(service.spec.externalName).toBe('tempo.monitoring.svc.cluster.local');
    expect(
      parseYaml(readRepoFile('localdev/cluster/values/tempo.yaml')).tempo.receivers.otlp.protocols.http
        .endpoint,
    ).toBe(`0.0.0.0:${endpoint.port}`);
    expect(commands).toContain(
      `+ kubectl apply -f ${repoPath('localdev/cluster/platform/otel-collector.yaml')}`,
    );
  });

  it('pins Flagger at a release that writes traefik.io TraefikServices, as the manifests README says', () => {
    // Upstream: fluxcd/flagger#1835 (traefik.containo.us → traefik.io), first released in 1.43.0.
    const TRAEFIK_IO_SINCE = [1, 43, 0];
    const semver = (v: string) => v.replace(/^v/, '').split('.').map(Number);
    const atLeast = (a: number[], b: number[]) => {
      for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
      return true;
    };
    const readme = readRepoFile('manifests/README.md');
    const documented = /\| Flagger\s*\|\s*\*\*≥ (\d+\.\d+\.\d+)\*\*/.exec(readme)?.[1];
    expect(documented).toBeDefined();
    expect(atLeast(semver(documented ?? ''), TRAEFIK_IO_SINCE)).toBe(true);
    expect(atLeast(semver(versions.get('FLAGGER_CHART_VERSION') ?? ''), semver(documented ?? ''))).toBe(true);
  });

  it('documents the versions it pins (the Gateway API CRDs in both READMEs; every x.y.z in its own README)', () => {
    const gateway = (versions.get('GATEWAY_API_VERSION') ?? '').replace(/^v/, '');
    expect(readRepoFile('manifests/README.md')).toMatch(
      new RegExp(`\\| Gateway API CRDs\\s*\\| ${gateway.replaceAll('.', '\\.')} `),
    );
    const pinned = new Set(
      [...versions.values()].flatMap((v) => [v, v.replace(/^v/, ''), ...(/\d+\.\d+\.\d+/.exec(v) ?? [])]),
    );
    for (const mentioned of docs.match(/(?<![\d.])v?\d+\.\d+\.\d+(?![\d.])/g) ?? [])
      expect(pinned.has(mentioned), mentioned).toBe(true);
  });
});

describe('bootstrap.sh other commands', () => {
  it('down deletes only the named cluster', () => {
    const down = dryRun(BOOTSTRAP, ['--dry-run', 'down'], { CLUSTER_NAME: 'mine' });
    expect(down.stdout.split('\n').filter((line) => line.startsWith('+ '))).toEqual([
      '+ k3d cluster delete mine',
    ]);
  });

  it('port-forward forwards Argo CD, Grafana and Prometheus', () => {
    const forward = dryRun(BOOTSTRAP, ['--dry-run', 'port-forward']);
    expect(forward.stdout).toContain('+ kubectl -n argocd port-forward svc/argocd-server 8080:80 \\&');
    expect(forward.stdout).toContain('svc/kube-prometheus-stack-grafana 3000:80');
  });

  it('refuses an unknown provider or command with a usage error', () => {
    expect(dryRun(BOOTSTRAP, ['--dry-run', 'up'], { CLUSTER_PROVIDER: 'minikube' }).status).toBe(2);
    const bad = dryRun(BOOTSTRAP, ['--dry-run', 'sideways']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('usage: bootstrap.sh');
  });
});

describe('telepresence intercept.sh --dry-run', () => {
  it('intercepts only the PR’s requests by header and runs the service locally with the pod’s env', () => {
    const result = dryRun(INTERCEPT, ['--dry-run', 'api-service', '42']);
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('+ '));
    expect(lines).toContain('+ telepresence connect --namespace apps');
    const intercept = lines.find((line) => line.startsWith('+ telepresence intercept'));
    expect(intercept).toContain('--http-header X-Canary=42 --port 8080:http');
    expect(intercept).toContain('--env-file /state/api-service.env --mount=false');
    expect(intercept).toContain('-- env CANARY_TRACK=pr-42 SERVICE_VERSION=local METRICS_PORT=0');
    expect(intercept).toContain('npm start --workspace @pr-canary/api-service');
    expect(lines.at(-1)).toBe('+ telepresence leave api-service');
  });

  it.each(CANARY_SERVICES.map((s) => s.name))(
    'overrides only variables %s’s config reads, with values it accepts',
    async (service) => {
      const result = dryRun(INTERCEPT, ['--dry-run', service, '42']);
      const intercept = result.stdout.split('\n').find((line) => line.startsWith('+ telepresence intercept'));
      const overrides =
        /-- env ((?:[A-Z_]+=\S+ )+)/
          .exec(intercept ?? '')?.[1]
          ?.trim()
          .split(' ') ?? [];
      expect(overrides.length).toBeGreaterThanOrEqual(3);
      const configModule = pathToFileURL(repoPath('apps', service, 'src', 'config.ts')).href;
      const { configVariables } = (await import(/* @vite-ignore */ configModule)) as {
        configVariables: Record<string, { read(text: string | undefined): unknown }>;
      };
      for (const [name, value] of overrides.map((pair) => pair.split('='))) {
        const variable = configVariables[name as string];
        expect(variable, `${name} is not read by ${service}`).toBeDefined();
        expect(() => variable?.read(value), `${name}=${value}`).not.toThrow();
      }
    },
  );

  it('intercepts store-service on its grpc port, in a PR canary namespace when asked', () => {
    const result = dryRun(INTERCEPT, ['--dry-run', 'store-service', '7', 'store-canary-pr-7']);
    expect(result.stdout).toContain('+ telepresence connect --namespace store-canary-pr-7');
    expect(result.stdout).toContain('--http-header X-Canary=7 --port 8080:grpc');
  });

  it('refuses a PR number that is not a canary key, and services without PR canaries, naming those with', () => {
    expect(dryRun(INTERCEPT, ['--dry-run', 'api-service', '042']).status).toBe(2);
    const web = dryRun(INTERCEPT, ['--dry-run', 'web', '42']);
    expect(web.status).toBe(2);
    expect(web.stderr).toContain(`the registry has: ${CANARY_SERVICES.map((s) => s.name).join(', ')}`);
    expect(dryRun(INTERCEPT, ['--dry-run', 'no-such-service', '42']).status).toBe(2);
    expect(dryRun(INTERCEPT, ['--dry-run']).status).toBe(2);
    expect(dryRun(INTERCEPT, ['--dry-run', 'api-service', '42', 'Bad_NS']).status).toBe(2);
  });
});
