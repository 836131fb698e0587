/**
 * The CRD validator against deliberately broken (and deliberately valid) copies of rendered custom
 * resources, one rule class at a time, plus the misses of the hand-written schemas it replaced.
 * Small synthetic CRDs cover what no pinned CRD uses (nullable, formats, messageExpression,
 * transition rules, a Kubernetes CEL function this validator lacks).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { unsupportedFunctions } from '../src/cel';
import { indexCrds, validateCustomResource } from '../src/crd-validation';
import type { JsonSchema } from '../src/crds';
import type { KubeObject } from '../src/objects';
import { crdIndex, find, prApp, realContext } from './helper';

beforeAll(() => realContext());

const errorsOf = (o: KubeObject) => validateCustomResource(o, crdIndex());

async function production(kind: string, name: string): Promise<KubeObject> {
  const { corpus } = await realContext();
  return structuredClone(find(corpus.overlays.production, kind, name));
}

async function prRoute(): Promise<KubeObject> {
  const ctx = await realContext();
  const route = prApp(ctx, 'store-service').objects.find((o) => o.kind === 'GRPCRoute');
  if (route === undefined) throw new Error('test fixture: no PR GRPCRoute');
  return structuredClone(route);
}

describe('misses of the hand-written schemas, now caught (or now accepted)', () => {
  it('refuses a Flagger analysis interval of 1h (the CRD pattern ^[0-9]+(m|s))', async () => {
    const canary = await production('Canary', 'store-service');
    expect(errorsOf(canary)).toEqual([]);
    canary.spec.analysis.interval = '1h';
    expect(errorsOf(canary)).toEqual([
      'flagger-v1.44.0: /spec/analysis/interval: "1h" does not match the pattern ^[0-9]+(m|s)',
    ]);
  });

  it('refuses a GRPCRoute with the same parentRef twice (a CEL rule), in both Gateway API versions', async () => {
    const route = await prRoute();
    expect(errorsOf(route)).toEqual([]);
    route.spec.parentRefs.push(structuredClone(route.spec.parentRefs[0]));
    expect(errorsOf(route)).toEqual(
      ['gateway-api-v1.2.1', 'gateway-api-v1.6.1'].map(
        (bundle) =>
          `${bundle}: /spec/parentRefs: sectionName must be unique when parentRefs includes 2 or more references to the same parent`,
      ),
    );
  });

  it('accepts a certificate from an external issuer (any group and kind, e.g. AWS Private CA)', async () => {
    const cert = await production('Certificate', 'pr-canary-edge');
    cert.spec.issuerRef = {
      group: 'awspca.cert-manager.io',
      kind: 'AWSPCAClusterIssuer',
      name: 'private-ca',
    };
    expect(errorsOf(cert)).toEqual([]);
  });

  it('accepts a Flagger MetricTemplate of provider type externalmetrics', async () => {
    const template = await production('MetricTemplate', 'http-error-rate');
    template.spec.provider = {
      type: 'externalmetrics',
      address: 'http://keda-operator-metrics-apiserver.keda:8080',
    };
    expect(errorsOf(template)).toEqual([]);
  });
});

describe('each rule class fails on a broken copy of a rendered object', () => {
  it('unknown field: what pruning would drop, at any depth (and in ObjectMeta)', async () => {
    const canary = await production('Canary', 'store-service');
    canary.spec.analysis.stepWeigth = 10;
    canary.metadata = { ...canary.metadata, label: { a: 'b' } } as KubeObject['metadata'];
    expect(errorsOf(canary)).toEqual([
      'flagger-v1.44.0: /metadata/label: unknown field (not a field of ObjectMeta)',
      'flagger-v1.44.0: /spec/analysis/stepWeigth: unknown field (the API server would prune it)',
    ]);
  });

  it('unknown field in an Argo CD Application: a Kustomize option that does not exist (resources)', async () => {
    const { corpus } = await realContext();
    const appSet = structuredClone(find(corpus.argo, 'ApplicationSet', 'pr-canary-api-service'));
    appSet.spec.template.spec.source.kustomize.resources = ['../extra'];
    expect(errorsOf(appSet)).toEqual([
      'argo-cd-v3.5.1: /spec/template/spec/source/kustomize/resources: unknown field (the API server would prune it)',
    ]);
  });

  it('pattern (RE2, as the API server matches it)', async () => {
    const route = await prRoute();
    route.spec.rules[0].matches[0].headers[0].name = 'x canary';
    expect(errorsOf(route).join('\n')).toMatch(
      /gateway-api-v1\.2\.1: \/spec\/rules\/0\/matches\/0\/headers\/0\/name: "x canary" does not match the pattern/,
    );
  });

  it('enum', async () => {
    const template = await production('MetricTemplate', 'http-error-rate');
    template.spec.provider.type = 'prometheus2';
    expect(errorsOf(template)).toEqual([
      expect.stringMatching(
        /^flagger-v1\.44\.0: \/spec\/provider\/type: "prometheus2" is not one of "prometheus", .*"externalmetrics"/,
      ),
    ]);
  });

  it('required', async () => {
    const cert = await production('Certificate', 'pr-canary-edge');
    delete cert.spec.issuerRef;
    expect(errorsOf(cert)).toEqual(['cert-manager-v1.21.1: /spec/issuerRef: required']);
  });

  it('int-or-string: a port may be a number or a name, not a fraction or a boolean', async () => {
    const { corpus } = await realContext();
    const route = structuredClone(find(corpus.overlays.staging, 'IngressRoute', 'api-service'));
    route.spec.routes[0].services[0].port = 'http';
    expect(errorsOf(route)).toEqual([]);
    route.spec.routes[0].services[0].port = 80.5;
    expect(errorsOf(route)).toEqual([
      'traefik-v3.7.9: /spec/routes/0/services/0/port: must be of type integer or string, got number 80.5',
    ]);
  });

  it('type: a string where the schema wants an integer', async () => {
    const route = await prRoute();
    route.spec.rules[0].backendRefs[0].port = '80';
    expect(errorsOf(route)).toContain(
      'gateway-api-v1.2.1: /spec/rules/0/backendRefs/0/port: must be of type integer, got string "80"',
    );
  });

  it('nullable: null where the schema does not allow it is dropped by the API server, so it fails here', async () => {
    const cert = await production('Certificate', 'pr-canary-edge');
    cert.spec.privateKey = null;
    expect(errorsOf(cert)).toEqual([
      'cert-manager-v1.21.1: /spec/privateKey: null is not allowed here (not nullable; the API server would prune it)',
    ]);
  });

  it('bounds and list-type map keys', async () => {
    const route = await prRoute();
    route.spec.rules[0].backendRefs[0].port = 70_000;
    route.spec.rules[0].matches[0].headers.push({ ...route.spec.rules[0].matches[0].headers[0] });
    const errors = errorsOf(route);
    expect(errors).toContain(
      'gateway-api-v1.2.1: /spec/rules/0/backendRefs/0/port: must be at most 65535 (70000)',
    );
    expect(errors).toContain(
      'gateway-api-v1.2.1: /spec/rules/0/matches/0/headers/1: duplicate entry with key ["x-canary"] in a list of type map',
    );
  });

  it('CEL, after structural defaulting: a Service backendRef without a port', async () => {
    const route = await prRoute();
    // group and kind are absent: the rule only sees them because defaulting fills in "" and Service.
    expect(route.spec.rules[0].backendRefs[0].kind).toBeUndefined();
    delete route.spec.rules[0].backendRefs[0].port;
    expect(errorsOf(route)).toEqual([
      'gateway-api-v1.2.1: /spec/rules/0/backendRefs/0: Must have port for Service reference',
      'gateway-api-v1.6.1: /spec/rules/0/backendRefs/0: Must have port for Service reference',
    ]);
  });

  it('served versions: ReferenceGrant v1 exists in Gateway API v1.6.1 only, not in the pinned v1.2.1', async () => {
    const ctx = await realContext();
    const grant = structuredClone(
      find(prApp(ctx, 'store-service').objects, 'ReferenceGrant', 'store-service-from-apps'),
    );
    grant.apiVersion = 'gateway.networking.k8s.io/v1';
    expect(errorsOf(grant)).toEqual([
      'gateway-api-v1.2.1: gateway.networking.k8s.io/v1 ReferenceGrant is not served (served: v1beta1)',
    ]);
  });
});

describe('semantics no pinned CRD exercises (a synthetic CRD)', () => {
  const widget = (schema: JsonSchema) =>
    indexCrds([
      { bundle: 'example-v1', group: 'example.com', kind: 'Widget', version: 'v1', served: true, schema },
    ]);
  const object = (spec: unknown): KubeObject => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec,
  });
  const withSpec = (spec: JsonSchema) => ({ type: 'object', properties: { spec } });

  it('nullable: true keeps and accepts null', () => {
    const crds = widget(withSpec({ type: 'object', properties: { a: { type: 'string', nullable: true } } }));
    expect(validateCustomResource(object({ a: null }), crds)).toEqual([]);
  });

  it('defaults fill in absent fields (and non-nullable nulls) before validation and CEL', () => {
    const crds = widget(
      withSpec({
        type: 'object',
        properties: { replicas: { type: 'integer', default: 1 }, mode: { type: 'string', default: 'a' } },
        'x-kubernetes-validations': [
          { rule: "self.replicas == 1 && self.mode == 'a'", message: 'defaults not applied' },
        ],
      }),
    );
    expect(validateCustomResource(object({ mode: null }), crds)).toEqual([]);
  });

  it('formats: only those the API server checks', () => {
    const crds = widget(
      withSpec({
        type: 'object',
        properties: {
          at: { type: 'string', format: 'date-time' },
          size: { type: 'string', format: 'int32' },
        },
      }),
    );
    expect(
      validateCustomResource(object({ at: '2026-11-29T19:00:00Z', size: 'not a number' }), crds),
    ).toEqual([]);
    expect(validateCustomResource(object({ at: 'yesterday' }), crds)).toEqual([
      'example-v1: /spec/at: "yesterday" is not a valid date-time',
    ]);
  });

  it('messageExpression, fieldPath, escaped property names, and int values for integer fields', () => {
    const crds = widget(
      withSpec({
        type: 'object',
        properties: { namespace: { type: 'string' }, 'max-size': { type: 'integer' } },
        'x-kubernetes-validations': [
          {
            rule: 'self.__namespace__.size() <= self.max__dash__size',
            messageExpression: "'namespace longer than ' + string(self.max__dash__size)",
            fieldPath: '.namespace',
          },
        ],
      }),
    );
    expect(validateCustomResource(object({ namespace: 'ab', 'max-size': 2 }), crds)).toEqual([]);
    expect(validateCustomResource(object({ namespace: 'abc', 'max-size': 2 }), crds)).toEqual([
      'example-v1: /spec/namespace: namespace longer than 2',
    ]);
  });

  it('an embedded resource needs apiVersion and kind, and its metadata is ObjectMeta', () => {
    const crds = widget(
      withSpec({
        type: 'object',
        properties: {
          template: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            'x-kubernetes-preserve-unknown-fields': true,
          },
        },
      }),
    );
    const good = {
      template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } },
    };
    expect(validateCustomResource(object(good), crds)).toEqual([]);
    expect(
      validateCustomResource(object({ template: { metadata: { name: 'c', nmae: 'x' } } }), crds),
    ).toEqual([
      'example-v1: /spec/template/metadata/nmae: unknown field (not a field of ObjectMeta)',
      'example-v1: /spec/template/apiVersion: required in an embedded resource',
      'example-v1: /spec/template/kind: required in an embedded resource',
    ]);
  });

  it('transition rules (oldSelf) are not evaluated on create', () => {
    const crds = widget(
      withSpec({ type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] }),
    );
    expect(validateCustomResource(object('x'), crds)).toEqual([]);
  });

  it('a rule calling a Kubernetes CEL function this validator lacks fails, naming rule and function', () => {
    expect(unsupportedFunctions('isURL(self) && self.matches("^h")')).toEqual(['isURL']);
    const crds = widget(withSpec({ type: 'string', 'x-kubernetes-validations': [{ rule: 'isURL(self)' }] }));
    expect(validateCustomResource(object('https://example.com'), crds)).toEqual([
      'example-v1: /spec: CEL rule "isURL(self)" failed to evaluate: uses isURL, which this validator does not implement',
    ]);
  });

  it('every CEL rule in the pinned CRDs uses only functions this validator implements', () => {
    const rules = new Set<string>();
    const collect = (node: JsonSchema): void => {
      if (node === null || typeof node !== 'object') return;
      for (const r of node['x-kubernetes-validations'] ?? []) rules.add(r.rule);
      for (const child of Object.values(node)) collect(child);
    };
    for (const versions of crdIndex().values()) for (const v of versions) collect(v.schema);
    expect(rules.size).toBeGreaterThan(40);
    expect([...rules].filter((r) => unsupportedFunctions(r).length > 0)).toEqual([]);
  });
});
