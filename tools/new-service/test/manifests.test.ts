/**
 * The manifests the scaffold renders, on this repository's files in memory (the scaffold test runs
 * the manifests checks on them for one service of each protocol): here two http services in a row,
 * so the edits that a second service makes to what the first one changed are checked too.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PROTOCOL_GATES } from '@pr-canary/canary-analysis/metrics';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { renderManifests } from '../src/manifests';
import { parseServiceName } from '../src/name';
import { registryEntry } from '../src/registry';
import { SOURCE_ROOT } from './throwaway-repo';

/** The repository's files, with what earlier renders wrote on top. */
function workspace() {
  const written = new Map<string, string>();
  const read = (file: string) => written.get(file) ?? readFileSync(path.join(SOURCE_ROOT, file), 'utf8');
  const add = (name: string, protocol: 'http' | 'grpc') => {
    const service = parseServiceName(name);
    const grpcService =
      protocol === 'grpc' ? `${service.protoPackage}.v1.${service.pascal}Service` : undefined;
    const entry = registryEntry(service, protocol, `apps/${name}`, grpcService);
    const plan = renderManifests(entry, '0.1.0', [{ name: 'web', image: 'web' }], read);
    for (const [file, text] of [...plan.files, ...plan.updates]) written.set(file, text);
    return plan;
  };
  return { read, add, written };
}

const redirectMatch = (text: string) =>
  parseAllDocuments(text)
    .map((doc) => doc.toJSON())
    .find((o) => o.kind === 'IngressRoute')?.spec.routes[0].match;

describe('the manifests a new service adds', () => {
  it('keeps every YAML file it writes valid, and the lists in registry order (web last)', () => {
    const { add, written } = workspace();
    add('scaffold-http-service', 'http');
    add('scaffold-grpc-service', 'grpc');
    for (const [file, text] of written)
      for (const doc of parseAllDocuments(text)) expect(doc.errors, file).toEqual([]);
    expect(parse(written.get('manifests/base/kustomization.yaml') ?? '').resources.slice(-3)).toEqual([
      'scaffold-http-service',
      'scaffold-grpc-service',
      'web',
    ]);
    const images = parse(written.get('manifests/overlays/staging/kustomization.yaml') ?? '').images;
    expect(images.map((i: { name: string }) => i.name).slice(-3)).toEqual([
      'ghcr.io/pr-canary/scaffold-http-service',
      'ghcr.io/pr-canary/scaffold-grpc-service',
      'ghcr.io/pr-canary/web',
    ]);
  });

  it('adds each http host to the redirect rules, one line each, whatever came before', () => {
    const { read, add } = workspace();
    const before = {
      base: redirectMatch(read('manifests/components/edge-tls/https-redirect.yaml')),
      staging: parse(read('manifests/overlays/staging/hosts-redirect.yaml'))[0].value,
    };
    add('scaffold-http-service', 'http');
    add('ledger-service', 'http');
    const base = read('manifests/components/edge-tls/https-redirect.yaml');
    expect(redirectMatch(base)).toBe(
      `${before.base} || Host(\`scaffold-http.example.com\`) || Host(\`ledger.example.com\`)`,
    );
    const staging = read('manifests/overlays/staging/hosts-redirect.yaml');
    expect(parse(staging)[0].value).toBe(
      `${before.staging} || Host(\`scaffold-http.staging.example.com\`) || Host(\`ledger.staging.example.com\`)`,
    );
    for (const text of [base, staging])
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('renders the PR ApplicationSet of a mesh service without a namespace option and with its route patches', () => {
    const { add } = workspace();
    const plan = add('scaffold-grpc-service', 'grpc');
    const appSet = parse(
      plan.files.get('manifests/argocd/applicationsets/pr-scaffold-grpc-service.yaml') ?? '',
    );
    const source = appSet.spec.template.spec.source;
    expect(source.path).toBe('manifests/pr-canary/scaffold-grpc');
    expect(source.kustomize.namespace).toBeUndefined();
    expect(source.kustomize.patches.map((p: { target: { kind: string } }) => p.target.kind)).toEqual([
      'Namespace',
      'Deployment',
      'GRPCRoute',
    ]);
    expect(appSet.spec.template.spec.destination.namespace).toBe('scaffold-grpc-canary-pr-{{.number}}');
  });

  it("gives each service production's progressive delivery: its Canary at its hop, with its protocol's gates", () => {
    const { add, written } = workspace();
    add('scaffold-http-service', 'http');
    add('scaffold-grpc-service', 'grpc');
    const delivery = 'manifests/components/progressive-delivery';
    const kustomization = parse(written.get(`${delivery}/kustomization.yaml`) ?? '');
    expect(kustomization.resources).toEqual(
      expect.arrayContaining(['canary-scaffold-http-service.yaml', 'canary-scaffold-grpc-service.yaml']),
    );
    const targets = kustomization.patches.map((p: { target: { kind: string; name: string } }) => p.target);
    expect(targets).toEqual(
      expect.arrayContaining([
        { version: 'v1', kind: 'Service', name: 'scaffold-http-service' },
        { version: 'v1', kind: 'Service', name: 'scaffold-grpc-service' },
        { group: 'traefik.io', kind: 'IngressRoute', name: 'scaffold-http-service' },
      ]),
    );
    expect(targets).not.toContainEqual(
      expect.objectContaining({ kind: 'IngressRoute', name: 'scaffold-grpc-service' }),
    );
    const policy = parse(written.get(`${delivery}/networkpolicy.yaml`) ?? '');
    expect(policy.spec.podSelector.matchExpressions[0].values).toEqual(
      expect.arrayContaining([
        'api-service',
        'store-service',
        'scaffold-http-service',
        'scaffold-grpc-service',
      ]),
    );
    for (const [name, protocol, provider] of [
      ['scaffold-http-service', 'http', 'traefik'],
      ['scaffold-grpc-service', 'grpc', 'gatewayapi:v1'],
    ] as const) {
      const canary = parse(written.get(`${delivery}/canary-${name}.yaml`) ?? '');
      expect(canary).toMatchObject({ kind: 'Canary', metadata: { name }, spec: { provider } });
      const gates = PROTOCOL_GATES[protocol];
      expect(
        canary.spec.analysis.metrics.map(
          (m: { templateRef: { name: string }; thresholdRange: { max: number } }) => [
            m.templateRef.name,
            m.thresholdRange.max,
          ],
        ),
      ).toEqual([
        [gates.errorRate.template, gates.errorRate.maxPercent],
        [gates.latencyP99.template, gates.latencyP99.maxMs],
      ]);
    }
  });
});
