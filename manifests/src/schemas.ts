/**
 * Schema validation of rendered objects, offline. Built-in kinds are validated by their
 * kubernetes-models class (`new Kind(obj).validate()`, which throws with a JSON path; field names
 * those models do not check are held by src/relied-fields.ts). Every other kind is a custom
 * resource and is validated as the API server would, against the upstream CRDs
 * (src/crd-validation.ts). Nothing ships unvalidated: a kind neither knows is an error.
 */
import { type CrdIndex, validateCustomResource } from './crd-validation';
import type { KubeObject } from './objects';

const MODEL_MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'admissionregistration.k8s.io/v1': 'kubernetes-models/admissionregistration.k8s.io/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'policy/v1': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1',
};

type ModelClass = new (data: unknown) => { validate(): void };

async function modelFor(o: KubeObject): Promise<ModelClass | undefined> {
  const modulePath = MODEL_MODULES[o.apiVersion];
  if (modulePath === undefined) return undefined;
  const module = (await import(modulePath)) as Record<string, ModelClass | undefined>;
  return module[o.kind];
}

/** Schema errors for one object ([] when valid). */
export async function schemaErrors(o: KubeObject, crds: CrdIndex): Promise<string[]> {
  if (MODEL_MODULES[o.apiVersion] !== undefined) {
    const Model = await modelFor(o);
    if (Model === undefined) return [`no schema for ${o.apiVersion} ${o.kind}`];
    try {
      new Model(o).validate();
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  }
  return validateCustomResource(o, crds);
}
