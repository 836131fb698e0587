/**
 * Schema validation of rendered objects, offline. Kinds with a kubernetes-models package are
 * validated by its model (`new Kind(obj).validate()`, which throws with a JSON path). Flagger and
 * cert-manager have no models package: their CRD schemas are written down in schemas/ from the
 * documented fields and compiled with Ajv; unknown fields there are reported too, because the API
 * server prunes them from structural schemas without a word. An object of a kind with no schema
 * at all is an error: nothing ships unvalidated.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { MANIFESTS_DIR } from './layout';
import { type KubeObject, parseObjects } from './objects';

const MODEL_MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'policy/v1': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
  'traefik.io/v1alpha1': '@kubernetes-models/traefik/traefik.io/v1alpha1',
  'gateway.networking.k8s.io/v1': '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1',
  'gateway.networking.k8s.io/v1beta1': '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1',
  'argoproj.io/v1alpha1': '@kubernetes-models/argo-cd/argoproj.io/v1alpha1',
};

type ModelClass = new (data: unknown) => { validate(): void };

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema documents as parsed from the CRD YAML.
type JsonSchema = any;

interface CrdSchema {
  schema: JsonSchema;
  validate: ValidateFunction;
}

let crdSchemas: Map<string, CrdSchema> | undefined;

function loadCrdSchemas(): Map<string, CrdSchema> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('uri', { type: 'string', validate: (value: string) => URL.canParse(value) });
  const schemas = new Map<string, CrdSchema>();
  const dir = path.join(MANIFESTS_DIR, 'schemas');
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.yaml'))) {
    for (const crd of parseObjects(readFileSync(path.join(dir, file), 'utf8'), file)) {
      for (const version of crd.spec.versions) {
        const schema = version.schema.openAPIV3Schema;
        schemas.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, {
          schema,
          validate: ajv.compile(schema),
        });
      }
    }
  }
  return schemas;
}

/** Fields the schema does not declare (where it does not preserve unknown fields), as JSON paths. */
export function unknownFields(value: unknown, schema: JsonSchema, at = ''): string[] {
  if (schema === undefined || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value))
    return value.flatMap((item, i) => unknownFields(item, schema.items, `${at}/${i}`));
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return [];
  const properties: Record<string, JsonSchema> | undefined = schema.properties;
  return Object.entries(value).flatMap(([key, child]) => {
    if (properties?.[key] !== undefined) return unknownFields(child, properties[key], `${at}/${key}`);
    if (schema.additionalProperties !== undefined)
      return unknownFields(child, schema.additionalProperties, `${at}/${key}`);
    return [`${at}/${key} is not a field of this kind`];
  });
}

async function modelFor(o: KubeObject): Promise<ModelClass | undefined> {
  const modulePath = MODEL_MODULES[o.apiVersion];
  if (modulePath === undefined) return undefined;
  const module = (await import(modulePath)) as Record<string, ModelClass | undefined>;
  return module[o.kind];
}

/** Schema errors for one object ([] when valid). */
export async function schemaErrors(o: KubeObject): Promise<string[]> {
  const Model = await modelFor(o);
  if (Model !== undefined) {
    try {
      new Model(o).validate();
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  }
  crdSchemas ??= loadCrdSchemas();
  const crd = crdSchemas.get(`${o.apiVersion} ${o.kind}`);
  if (crd === undefined) return [`no schema for ${o.apiVersion} ${o.kind}`];
  const errors = crd.validate(o)
    ? []
    : (crd.validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  return [...errors, ...unknownFields(o, crd.schema)];
}
