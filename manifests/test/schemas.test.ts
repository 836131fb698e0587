import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kustomizeBuild } from '../src/kustomize';
import { ENVIRONMENTS, MANIFESTS_DIR, scenarioDirs } from '../src/layout';
import { type KubeObject, ref } from '../src/objects';
import { reliedFieldErrors } from '../src/relied-fields';
import { schemaErrors } from '../src/schemas';
import { find, realContext } from './helper';

// Importing the services' config schemas and metric definitions takes a few seconds.
beforeAll(() => realContext(), 60_000);

async function problems(objects: readonly KubeObject[]): Promise<string[]> {
  const all = await Promise.all(
    objects.map(async (o) =>
      [...(await schemaErrors(o)), ...reliedFieldErrors(o)].map((e) => `${ref(o)}: ${e}`),
    ),
  );
  return all.flat();
}

describe('every rendered object validates against its schema and uses only known field names', () => {
  it.each(ENVIRONMENTS)('overlay %s', async (env) => {
    const { corpus } = await realContext();
    expect(await problems(corpus.overlays[env])).toEqual([]);
  });

  it('every PR Application and everything it renders', async () => {
    const { corpus } = await realContext();
    expect(corpus.prApps.length).toBe(6);
    for (const p of corpus.prApps) {
      expect(await problems([p.app as unknown as KubeObject, ...p.objects])).toEqual([]);
    }
  });

  it('the Argo CD objects and the platform objects', async () => {
    const { corpus } = await realContext();
    const platform = await kustomizeBuild(path.join(MANIFESTS_DIR, 'platform'));
    expect(await problems([...corpus.argo, ...platform])).toEqual([]);
  });

  it.each(scenarioDirs().map((d) => path.basename(d)))('scenario tests/%s', async (name) => {
    expect(await problems(await kustomizeBuild(path.join(MANIFESTS_DIR, 'tests', name)))).toEqual([]);
  });
});

describe('the validation fails on broken copies', () => {
  it('a wrong type in a Deployment (kubernetes-models)', async () => {
    const { corpus } = await realContext();
    const deployment = structuredClone(find(corpus.overlays.staging, 'Deployment', 'api-service'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect((await schemaErrors(deployment)).join()).toMatch(/containerPort/);
  });

  it('a misspelt probe or selector field (accepted by the model, caught by the relied-on fields)', async () => {
    const { corpus } = await realContext();
    const deployment = structuredClone(find(corpus.overlays.staging, 'Deployment', 'store-service'));
    const c = deployment.spec.template.spec.containers[0];
    c.readinesProbe = c.readinessProbe;
    delete c.readinessProbe;
    expect(await schemaErrors(deployment)).toEqual([]);
    expect(reliedFieldErrors(deployment)).toEqual([
      '/spec/template/spec/containers/0/readinesProbe is not a field of this kind',
    ]);
    const monitor = structuredClone(find(corpus.overlays.staging, 'ServiceMonitor', 'api-service'));
    monitor.spec.selector = { matchLabel: monitor.spec.selector.matchLabels };
    expect(reliedFieldErrors(monitor)).toEqual(['/spec/selector/matchLabel is not a field of this kind']);
  });

  it('an Argo CD Kustomize option that does not exist (resources)', async () => {
    const { corpus } = await realContext();
    const appSet = structuredClone(find(corpus.argo, 'ApplicationSet', 'pr-canary-api-service'));
    appSet.spec.template.spec.source.kustomize.resources = ['../extra'];
    expect(reliedFieldErrors(appSet)).toEqual([
      '/spec/template/spec/source/kustomize/resources is not a field of this kind',
    ]);
  });

  it('Flagger Canary: a wrong provider, a bad interval and an unknown field (CRD schema from the docs)', async () => {
    const { corpus } = await realContext();
    const canary = structuredClone(find(corpus.overlays.production, 'Canary', 'store-service'));
    expect(await schemaErrors(canary)).toEqual([]);
    canary.spec.provider = 'gatewayapi';
    canary.spec.analysis.interval = '1 minute';
    canary.spec.analysis.stepWeigth = 10;
    const errors = (await schemaErrors(canary)).join('\n');
    expect(errors).toMatch(/\/spec\/provider must match pattern/);
    expect(errors).toMatch(/\/spec\/analysis\/interval must match pattern/);
    expect(errors).toMatch(/\/spec\/analysis\/stepWeigth is not a field of this kind/);
  });

  it('cert-manager Certificate: a missing issuer and an unknown field', async () => {
    const { corpus } = await realContext();
    const cert = structuredClone(find(corpus.overlays.production, 'Certificate', 'pr-canary-edge'));
    delete cert.spec.issuerRef;
    cert.spec.dnsName = ['x'];
    const errors = (await schemaErrors(cert)).join('\n');
    expect(errors).toMatch(/must have required property 'issuerRef'/);
    expect(errors).toMatch(/\/spec\/dnsName is not a field/);
  });

  it('an object of a kind nothing describes', async () => {
    const o = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(await schemaErrors(o)).toEqual(['no schema for example.com/v1 Widget']);
  });
});
