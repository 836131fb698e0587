import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KustomizeError, kustomizeBuild } from '../src/kustomize';
import { ENVIRONMENTS, MANIFESTS_DIR, scenarioDirs } from '../src/layout';
import { unmatchedPatches } from '../src/patch-targets';
import { canaryServices, edgeServices } from '../src/services';
import { TEMPLATE_LEFTOVERS } from '../src/verify';
import { renderedSource } from './helper';

const rel = (dir: string) => path.relative(MANIFESTS_DIR, dir);
/**
 * Built here: every registered service's PR source (`pr-canary/<short>`), the platform and Argo CD;
 * the overlays are built by test/global-setup.ts and the scenarios by schemas.test.ts.
 */
const BUILT_HERE = [...canaryServices().map((service) => `pr-canary/${service.short}`), 'platform', 'argocd'];
const WITH_PATCHES = [
  ...ENVIRONMENTS.map((env) => `overlays/${env}`),
  ...scenarioDirs().map(rel),
  ...BUILT_HERE,
];

describe('kubectl kustomize builds every source, and every patch lands', () => {
  it('has the component scenarios of tests/', () => {
    expect(scenarioDirs().length).toBeGreaterThanOrEqual(5);
  });

  it.each(BUILT_HERE)('%s builds', async (dir) => {
    expect((await renderedSource(dir)).length).toBeGreaterThan(0);
  });

  // The shared templates (components/service*, pr-canary/canary|edge|mesh) name what each service
  // fills in; a template field no replacement reaches would ship the placeholder.
  it.each(WITH_PATCHES)('%s renders no template placeholder and no build-time object', async (dir) => {
    const rendered = JSON.stringify(await renderedSource(dir));
    expect(rendered.match(TEMPLATE_LEFTOVERS)).toBeNull();
  });

  it.each(WITH_PATCHES)('every patch in %s (and its components) lands on an object', async (dir) => {
    expect(await unmatchedPatches(dir)).toEqual([]);
  });

  it("reports a build failure with kustomize's own message", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'broken-kustomization-'));
    try {
      writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
      await expect(kustomizeBuild(dir)).rejects.toThrow(KustomizeError);
      await expect(kustomizeBuild(dir)).rejects.toThrow(/missing\.yaml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('patch-target check catches a canary patch onto an object the base does not contain', () => {
  it('flags an Argo CD patch whose target names a route the source lacks', async () => {
    const problems = await unmatchedPatches('pr-canary/api', {
      patches: [
        { target: { group: 'traefik.io', kind: 'IngressRoute', name: 'api-service-canary' }, patch: '[]' },
      ],
    });
    expect(problems).toEqual([
      'pr-canary/api: patch target {"group":"traefik.io","kind":"IngressRoute","name":"api-service-canary"} matches nothing',
    ]);
  });

  it('flags a strategic-merge patch (no target) for a Deployment the source lacks', async () => {
    const problems = await unmatchedPatches('pr-canary/store', {
      patches: [{ patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: store-canary\n' }],
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/"name":"store-canary"/);
  });

  it('looks into components: a component patch onto a kind no resource has is flagged', async () => {
    // progressive-delivery patches each edge service's IngressRoute (api-service's, and that of any
    // http service added since), which only edge-routes provides.
    expect(edgeServices().map((service) => service.name)).toContain('api-service');
    expect(await unmatchedPatches('tests/progressive-delivery-plain-http')).toEqual([]);
    const problems = await unmatchedPatches('tests/bases-only', {
      components: ['../../components/progressive-delivery'],
    });
    expect(problems).toEqual(
      edgeServices().map(
        (service) =>
          `components/progressive-delivery: patch target {"group":"traefik.io","kind":"IngressRoute","name":"${service.name}"} matches nothing`,
      ),
    );
  });
});
