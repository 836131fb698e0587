import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PULL_REQUESTS } from '../src/corpus';
import { ENVIRONMENTS, scenarioDirs } from '../src/layout';
import type { KubeObject } from '../src/objects';
import { reliedFieldErrors } from '../src/relied-fields';
import { schemaErrors } from '../src/schemas';
import { canaryServices } from '../src/services';
import { objectProblems } from '../src/verify';
import { crdIndex, find, realContext, renderedSource } from './helper';

// Importing the services' config schemas and metric definitions takes a few seconds.
beforeAll(() => realContext());

const problems = (objects: readonly KubeObject[]) => objectProblems(objects, crdIndex());

const customResources = (objects: readonly KubeObject[]) =>
  objects.filter(
    (o) => !/^(v1|apps\/v1|batch\/v1|autoscaling\/v2|policy\/v1|networking\.k8s\.io\/v1)$/.test(o.apiVersion),
  );

describe('every rendered object validates against its schema (custom resources: the upstream CRDs, as the API server would)', () => {
  it.each(ENVIRONMENTS)('overlay %s', async (env) => {
    const { corpus } = await realContext();
    expect(customResources(corpus.overlays[env]).length).toBeGreaterThan(3);
    expect(await problems(corpus.overlays[env])).toEqual([]);
  });

  it('every PR Application and everything it renders', async () => {
    const { corpus } = await realContext();
    expect(corpus.prApps.length).toBe(SAMPLE_PULL_REQUESTS.length * canaryServices().length);
    for (const p of corpus.prApps) {
      expect(await problems([p.app as unknown as KubeObject, ...p.objects])).toEqual([]);
    }
  });

  it('the Argo CD objects and the platform objects', async () => {
    const { corpus } = await realContext();
    const platform = await renderedSource('platform');
    expect(await problems([...corpus.argo, ...platform])).toEqual([]);
  });

  it.each(scenarioDirs().map((d) => path.basename(d)))('scenario tests/%s', async (name) => {
    expect(await problems(await renderedSource(`tests/${name}`))).toEqual([]);
  });
});

describe('built-in kinds: kubernetes-models and the relied-on field names', () => {
  it('a wrong type in a Deployment (kubernetes-models)', async () => {
    const { corpus } = await realContext();
    const deployment = structuredClone(find(corpus.overlays.staging, 'Deployment', 'api-service'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect((await schemaErrors(deployment, crdIndex())).join()).toMatch(/containerPort/);
  });

  it('a misspelt probe field (accepted by the model, caught by the relied-on fields)', async () => {
    const { corpus } = await realContext();
    const deployment = structuredClone(find(corpus.overlays.staging, 'Deployment', 'store-service'));
    const c = deployment.spec.template.spec.containers[0];
    c.readinesProbe = c.readinessProbe;
    delete c.readinessProbe;
    expect(await schemaErrors(deployment, crdIndex())).toEqual([]);
    expect(reliedFieldErrors(deployment)).toEqual([
      '/spec/template/spec/containers/0/readinesProbe is not a field of this kind',
    ]);
  });

  it('an object of a kind nothing describes', async () => {
    const o = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(await schemaErrors(o, crdIndex())).toEqual([
      'no CRD in ../shared/crds defines example.com/Widget',
    ]);
  });
});
