/**
 * ValidatingAdmissionPolicy, evaluated offline the way the API server evaluates it: matchConstraints
 * (resource rules, operations), then matchConditions (all must be true), then variables (in order,
 * each seeing the ones before as `variables.<name>`), then every validation. A CEL error counts as a
 * failure where the policy says `failurePolicy: Fail` (the default). CEL is @bufbuild/cel with the
 * strings extension (src/cel.ts); `object` and `request` are passed schema-less (integers as int).
 */
import { evaluate, toCel } from './cel';
import type { KubeObject } from './objects';

export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  namespace: string;
  name: string;
  /** Plural resource name, e.g. `ingressroutes`. */
  resource: string;
}

export interface AdmissionResult {
  /** false when the policy does not apply to the request. */
  matched: boolean;
  allowed: boolean;
  messages: string[];
}

interface ResourceRule {
  apiGroups?: string[];
  apiVersions?: string[];
  operations?: string[];
  resources?: string[];
}

const covers = (list: string[] | undefined, value: string) =>
  (list ?? []).includes('*') || (list ?? []).includes(value);

function constraintsMatch(policy: KubeObject, object: KubeObject, request: AdmissionRequest): boolean {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const rules: ResourceRule[] = policy.spec.matchConstraints?.resourceRules ?? [];
  return rules.some(
    (r) =>
      covers(r.apiGroups, group ?? '') &&
      covers(r.apiVersions, version ?? '') &&
      covers(r.operations, request.operation) &&
      covers(r.resources, request.resource),
  );
}

/** Evaluates one ValidatingAdmissionPolicy against an object being created or updated. */
export function admit(policy: KubeObject, object: KubeObject, request: AdmissionRequest): AdmissionResult {
  if (policy.kind !== 'ValidatingAdmissionPolicy')
    throw new Error(`${policy.kind} is not a ValidatingAdmissionPolicy`);
  const failClosed = (policy.spec.failurePolicy ?? 'Fail') === 'Fail';
  if (!constraintsMatch(policy, object, request)) return { matched: false, allowed: true, messages: [] };
  const bindings: Record<string, unknown> = {
    object: toCel(object, undefined),
    oldObject: null,
    request: toCel({ ...request, kind: { group: '', version: '', kind: object.kind } }, undefined),
  };
  for (const condition of policy.spec.matchConditions ?? []) {
    const outcome = evaluate(condition.expression, bindings);
    if (!outcome.ok) {
      return failClosed
        ? { matched: true, allowed: false, messages: [`matchCondition ${condition.name}: ${outcome.error}`] }
        : { matched: false, allowed: true, messages: [] };
    }
    if (outcome.value !== true) return { matched: false, allowed: true, messages: [] };
  }
  const variables = new Map<string, unknown>();
  bindings.variables = variables;
  const variableErrors = new Map<string, string>();
  for (const variable of policy.spec.variables ?? []) {
    const outcome = evaluate(variable.expression, bindings);
    if (outcome.ok) variables.set(variable.name, outcome.value);
    else variableErrors.set(variable.name, outcome.error);
  }
  const messages: string[] = [];
  for (const validation of policy.spec.validations ?? []) {
    const outcome = evaluate(validation.expression, bindings);
    if (outcome.ok && outcome.value === true) continue;
    if (!outcome.ok && !failClosed) continue;
    const explained = validation.messageExpression
      ? evaluate(validation.messageExpression, bindings)
      : undefined;
    messages.push(
      !outcome.ok
        ? `error: ${outcome.error}${variableErrors.size > 0 ? ` (variables: ${[...variableErrors.values()].join('; ')})` : ''}`
        : explained?.ok && typeof explained.value === 'string'
          ? explained.value
          : (validation.message ?? `failed: ${validation.expression}`),
    );
  }
  return { matched: true, allowed: messages.length === 0, messages };
}
