/**
 * Validates a custom resource the way the API server does on create, against the upstream CRDs
 * (src/crds.ts): the CRD version served for the object's apiVersion in every CRD bundle that
 * defines its kind (Gateway API objects meet both the pinned v1.2.1 and v1.6.1), then
 *
 * 1. pruning: a field the structural schema does not declare (outside
 *    `x-kubernetes-preserve-unknown-fields`), or a `null` where the schema is not `nullable`, is an
 *    error — the API server would drop it without a word;
 * 2. structural defaulting (`default`, also for non-nullable nulls), so rules see what is stored;
 * 3. OpenAPI v3 validation: type (`x-kubernetes-int-or-string`, `x-kubernetes-embedded-resource`),
 *    enum, pattern (RE2), lengths (in characters), bounds, item and property counts, required,
 *    allOf/anyOf/oneOf/not, `x-kubernetes-list-type` set/map uniqueness, and only the formats the
 *    API server checks (the rest, e.g. int32 or url, it ignores);
 * 4. `x-kubernetes-validations` CEL rules (src/cel.ts) on the defaulted object: `self`, no
 *    `oldSelf` on create (transition rules are skipped), `message`/`messageExpression`, `fieldPath`.
 *
 * Errors are strings `<bundle>: <JSON path>: <problem>`.
 */
import { RE2JS } from '@bufbuild/re2';
import { evaluate, toCel } from './cel';
import type { CrdVersion, JsonSchema } from './crds';
import type { KubeObject } from './objects';

type Errors = string[];

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'labels',
  'annotations',
  'finalizers',
  'ownerReferences',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

const patterns = new Map<string, RE2JS>();
function re2(pattern: string): RE2JS {
  let compiled = patterns.get(pattern);
  if (compiled === undefined) {
    compiled = RE2JS.compile(pattern);
    patterns.set(pattern, compiled);
  }
  return compiled;
}

/** The formats the API server validates (apiextensions-apiserver `supportedVersionedFormats`), with their checks. */
const FORMATS: Record<string, ((s: string) => boolean) | undefined> = {
  bsonobjectid: (s) => /^[0-9a-fA-F]{24}$/.test(s),
  uri: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:|^\//.test(s) && URL.canParse(s, 'http://relative.invalid'),
  email: (s) => /^[^\s@<>]+@[^\s@<>]+$/.test(s),
  hostname: (s) =>
    s.length <= 255 &&
    s.split('.').every((label) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(label)),
  ipv4: (s) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s),
  ipv6: (s) => s.includes(':') && URL.canParse(`http://[${s}]/`),
  cidr: (s) => {
    const [ip, bits, ...rest] = s.split('/');
    if (ip === undefined || bits === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bits)) return false;
    const v4 = FORMATS.ipv4?.(ip) === true;
    return (v4 && Number(bits) <= 32) || (!v4 && FORMATS.ipv6?.(ip) === true && Number(bits) <= 128);
  },
  mac: (s) => /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(s),
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid3: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid4: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  uuid5: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
  password: () => true,
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)),
  datetime: (s) =>
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) &&
    !Number.isNaN(Date.parse(s)),
  duration: (s) =>
    /^(\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+$/.test(s) ||
    /^\d+\s*(nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)$/.test(s),
  // Validated by the API server but not here: a CRD using one fails loudly instead of passing.
  isbn: undefined,
  isbn10: undefined,
  isbn13: undefined,
  creditcard: undefined,
  ssn: undefined,
  hexcolor: (s) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s),
  rgbcolor: undefined,
};

const typeOf = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : typeof value === 'number'
        ? Number.isInteger(value)
          ? 'integer'
          : 'number'
        : typeof value;

function typeMatches(value: unknown, schema: JsonSchema): boolean {
  if (schema['x-kubernetes-int-or-string'] === true)
    return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  const actual = typeOf(value);
  switch (schema.type) {
    case undefined:
      return true;
    case 'number':
      return actual === 'number' || actual === 'integer';
    default:
      return actual === schema.type;
  }
}

const hasNull = (x: unknown): x is null => x === null;
const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
const json = (value: unknown) => JSON.stringify(value);
const childSchema = (schema: JsonSchema, key: string): JsonSchema | undefined =>
  schema?.properties?.[key] ??
  (isObject(schema?.additionalProperties) ? schema.additionalProperties : undefined);

/**
 * Pass 1, pruning: reports what the API server would drop, and drops it from `value` (a copy) so
 * later passes see the stored object. `root` marks the object root, where apiVersion, kind and
 * metadata belong to the API machinery.
 */
function prune(value: unknown, schema: JsonSchema, at: string, errors: Errors, root = false): void {
  if (schema === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (hasNull(item) && schema.items?.nullable !== true && schema.items?.default === undefined)
        errors.push(`${at}/${i}: null is not allowed here (not nullable)`);
      prune(item, schema.items, `${at}/${i}`, errors);
    });
    return;
  }
  if (!isObject(value)) return;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  for (const [key, child] of Object.entries(value)) {
    if ((root || embedded) && (key === 'apiVersion' || key === 'kind')) continue;
    if ((root || embedded) && key === 'metadata') {
      pruneMetadata(child, `${at}/metadata`, errors);
      continue;
    }
    const sub = childSchema(schema, key);
    if (sub === undefined) {
      if (schema['x-kubernetes-preserve-unknown-fields'] !== true && schema.additionalProperties !== true) {
        errors.push(`${at}/${key}: unknown field (the API server would prune it)`);
        delete value[key];
      }
      continue;
    }
    if (hasNull(child) && sub.nullable !== true) {
      if (sub.default === undefined)
        errors.push(`${at}/${key}: null is not allowed here (not nullable; the API server would prune it)`);
      delete value[key];
      continue;
    }
    prune(child, sub, `${at}/${key}`, errors);
  }
}

function pruneMetadata(metadata: unknown, at: string, errors: Errors): void {
  if (!isObject(metadata)) {
    errors.push(`${at}: must be an object`);
    return;
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (!OBJECT_META_FIELDS.has(key)) errors.push(`${at}/${key}: unknown field (not a field of ObjectMeta)`);
    else if ((key === 'labels' || key === 'annotations') && value !== undefined)
      if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string'))
        errors.push(`${at}/${key}: must be a map of strings`);
  }
}

/** Pass 2, structural defaulting (apiextensions-apiserver `structuraldefaulting.Default`). */
function applyDefaults(value: unknown, schema: JsonSchema): void {
  if (schema === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (item === null && schema.items?.default !== undefined && schema.items?.nullable !== true)
        value[i] = structuredClone(schema.items.default);
      applyDefaults(value[i], schema.items);
    });
    return;
  }
  if (!isObject(value)) return;
  for (const [key, prop] of Object.entries<JsonSchema>(schema.properties ?? {}))
    if (prop.default !== undefined && value[key] === undefined) value[key] = structuredClone(prop.default);
  for (const [key, child] of Object.entries(value)) applyDefaults(child, childSchema(schema, key));
}

interface Context {
  bundle: string;
  errors: Errors;
}

/** Pass 3 and 4: value validations and CEL rules, recursively. Returns false if the node's type is wrong. */
function validateNode(value: unknown, schema: JsonSchema, at: string, ctx: Context, root = false): void {
  if (schema === undefined || value === undefined) return;
  const { errors } = ctx;
  if (value === null) {
    if (schema.nullable !== true) errors.push(`${at}: must not be null`);
    return;
  }
  if (!typeMatches(value, schema)) {
    errors.push(
      `${at}: must be of type ${schema['x-kubernetes-int-or-string'] ? 'integer or string' : schema.type}, got ${typeOf(value)} ${json(value)}`,
    );
    return;
  }
  valueValidations(value, schema, at, errors);

  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      validateNode(item, schema.items, `${at}/${i}`, ctx);
    });
    listTypeValidations(value, schema, at, errors);
  } else if (isObject(value)) {
    const embedded = schema['x-kubernetes-embedded-resource'] === true;
    if (embedded)
      for (const key of ['apiVersion', 'kind'])
        if (typeof value[key] !== 'string' || value[key] === '')
          errors.push(`${at}/${key}: required in an embedded resource`);
    for (const [key, child] of Object.entries(value)) {
      if ((root || embedded) && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) {
        // ObjectMeta is the API server's own type; a CRD schema may only restrict name/generateName.
        if (key === 'metadata' && schema.properties?.metadata?.properties !== undefined)
          validateNode(
            child,
            { ...schema.properties.metadata, 'x-kubernetes-preserve-unknown-fields': true },
            `${at}/metadata`,
            ctx,
          );
        continue;
      }
      validateNode(child, childSchema(schema, key), `${at}/${key}`, ctx);
    }
  }
  celRules(value, schema, at, ctx);
}

function valueValidations(value: unknown, schema: JsonSchema, at: string, errors: Errors): void {
  if (schema.enum !== undefined && !schema.enum.some((e: unknown) => json(e) === json(value)))
    errors.push(`${at}: ${json(value)} is not one of ${schema.enum.map(json).join(', ')}`);
  if (typeof value === 'string' && (schema.type === 'string' || schema['x-kubernetes-int-or-string'])) {
    const length = [...value].length;
    if (schema.maxLength !== undefined && length > schema.maxLength)
      errors.push(`${at}: may not be longer than ${schema.maxLength} characters (${length})`);
    if (schema.minLength !== undefined && length < schema.minLength)
      errors.push(`${at}: must be at least ${schema.minLength} characters`);
    if (schema.pattern !== undefined && !re2(schema.pattern).test(value))
      errors.push(`${at}: ${json(value)} does not match the pattern ${schema.pattern}`);
    if (schema.format !== undefined) {
      const name = String(schema.format).replaceAll('-', '');
      if (name in FORMATS) {
        const check = FORMATS[name];
        if (check === undefined)
          errors.push(`${at}: format ${schema.format} is checked by the API server but not implemented here`);
        else if (!check(value)) errors.push(`${at}: ${json(value)} is not a valid ${schema.format}`);
      }
    }
  }
  if (typeof value === 'number') {
    if (
      schema.maximum !== undefined &&
      (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)
    )
      errors.push(
        `${at}: must be ${schema.exclusiveMaximum ? 'less than' : 'at most'} ${schema.maximum} (${value})`,
      );
    if (
      schema.minimum !== undefined &&
      (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)
    )
      errors.push(
        `${at}: must be ${schema.exclusiveMinimum ? 'greater than' : 'at least'} ${schema.minimum} (${value})`,
      );
    if (schema.multipleOf !== undefined && !Number.isInteger(value / schema.multipleOf))
      errors.push(`${at}: must be a multiple of ${schema.multipleOf}`);
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push(`${at}: must have at most ${schema.maxItems} items (${value.length})`);
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push(`${at}: must have at least ${schema.minItems} items`);
    if (schema.uniqueItems === true && new Set(value.map(json)).size !== value.length)
      errors.push(`${at}: items must be unique`);
  }
  if (isObject(value)) {
    const count = Object.keys(value).length;
    if (schema.maxProperties !== undefined && count > schema.maxProperties)
      errors.push(`${at}: must have at most ${schema.maxProperties} properties`);
    if (schema.minProperties !== undefined && count < schema.minProperties)
      errors.push(`${at}: must have at least ${schema.minProperties} properties`);
    for (const key of schema.required ?? [])
      if (value[key] === undefined) errors.push(`${at}/${key}: required`);
  }
  // Logical junctors hold value validations only (structural schemas forbid types, properties …
  // there except the int-or-string idiom); a branch "matches" when it yields no error.
  const branchErrors = (sub: JsonSchema) => {
    const found: Errors = [];
    junctorValidations(value, sub, at, found);
    return found;
  };
  for (const sub of schema.allOf ?? []) errors.push(...branchErrors(sub));
  if (schema.anyOf !== undefined && !schema.anyOf.some((sub: JsonSchema) => branchErrors(sub).length === 0))
    errors.push(`${at}: must match at least one of ${json(schema.anyOf)}`);
  if (schema.oneOf !== undefined) {
    const matching = schema.oneOf.filter((sub: JsonSchema) => branchErrors(sub).length === 0).length;
    if (matching !== 1)
      errors.push(`${at}: must match exactly one of ${json(schema.oneOf)} (matches ${matching})`);
  }
  if (schema.not !== undefined && branchErrors(schema.not).length === 0)
    errors.push(`${at}: must not match ${json(schema.not)}`);
}

/** Validations of a junctor branch: its own type/value checks, and recursively those of the properties it names. */
function junctorValidations(value: unknown, schema: JsonSchema, at: string, errors: Errors): void {
  if (value === null || value === undefined) return;
  if (schema.type !== undefined && !typeMatches(value, schema)) {
    errors.push(`${at}: must be of type ${schema.type}`);
    return;
  }
  valueValidations(value, schema, at, errors);
  if (isObject(value))
    for (const [key, sub] of Object.entries<JsonSchema>(schema.properties ?? {}))
      junctorValidations(value[key], sub, `${at}/${key}`, errors);
  if (Array.isArray(value) && schema.items !== undefined)
    value.forEach((item, i) => {
      junctorValidations(item, schema.items, `${at}/${i}`, errors);
    });
}

function listTypeValidations(value: unknown[], schema: JsonSchema, at: string, errors: Errors): void {
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set') {
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const key = json(item);
      if (seen.has(key)) errors.push(`${at}/${i}: duplicate value ${key} in a list of type set`);
      seen.add(key);
    });
  } else if (listType === 'map') {
    const keys: string[] = schema['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      if (!isObject(item)) return;
      const key = json(keys.map((k) => item[k] ?? schema.items?.properties?.[k]?.default));
      if (seen.has(key)) errors.push(`${at}/${i}: duplicate entry with key ${key} in a list of type map`);
      seen.add(key);
    });
  }
}

interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

const referencesOldSelf = (rule: string) => /\boldSelf\b/.test(rule);

function celRules(value: unknown, schema: JsonSchema, at: string, ctx: Context): void {
  const rules: ValidationRule[] | undefined = schema['x-kubernetes-validations'];
  if (rules === undefined) return;
  let self: unknown;
  try {
    self = toCel(value, schema);
  } catch (error) {
    for (const r of rules)
      ctx.errors.push(
        `${at}: CEL rule ${json(r.rule)} cannot be evaluated here: ${(error as Error).message}`,
      );
    return;
  }
  for (const r of rules) {
    // On create there is no old object: transition rules are not evaluated (unless they opt in to
    // an absent oldSelf, which would need CEL optionals: refused rather than guessed).
    if (
      referencesOldSelf(r.rule) ||
      (r.messageExpression !== undefined && referencesOldSelf(r.messageExpression))
    ) {
      if (r.optionalOldSelf === true)
        ctx.errors.push(
          `${at}: CEL rule ${json(r.rule)} uses optionalOldSelf, which this validator does not implement`,
        );
      continue;
    }
    const outcome = evaluate(r.rule, { self });
    const where = r.fieldPath === undefined ? at : `${at}${r.fieldPath.replace(/\./g, '/')}`;
    if (!outcome.ok) {
      ctx.errors.push(`${where}: CEL rule ${json(r.rule)} failed to evaluate: ${outcome.error}`);
    } else if (outcome.value !== true) {
      ctx.errors.push(`${where}: ${ruleMessage(r, self)}`);
    }
  }
}

function ruleMessage(r: ValidationRule, self: unknown): string {
  if (r.messageExpression !== undefined) {
    const outcome = evaluate(r.messageExpression, { self });
    if (outcome.ok && typeof outcome.value === 'string' && outcome.value.trim() !== '') return outcome.value;
  }
  return r.message ?? `failed rule: ${r.rule}`;
}

export type CrdIndex = Map<string, CrdVersion[]>;

/** Indexes CRD versions by `group kind` (every bundle's every version). */
export function indexCrds(versions: readonly CrdVersion[]): CrdIndex {
  const index: CrdIndex = new Map();
  for (const v of versions) {
    const key = `${v.group} ${v.kind}`;
    index.set(key, [...(index.get(key) ?? []), v]);
  }
  return index;
}

/** Errors for one custom resource against every CRD bundle that defines its kind ([] when valid). */
export function validateCustomResource(o: KubeObject, index: CrdIndex): string[] {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const candidates = index.get(`${group} ${o.kind}`);
  if (candidates === undefined) return [`no CRD in ../shared/crds defines ${group}/${o.kind}`];
  const errors: string[] = [];
  for (const bundle of new Set(candidates.map((c) => c.bundle))) {
    const crd = candidates.find((c) => c.bundle === bundle && c.version === version && c.served);
    if (crd === undefined) {
      errors.push(
        `${bundle}: ${o.apiVersion} ${o.kind} is not served (served: ${candidates
          .filter((c) => c.bundle === bundle && c.served)
          .map((c) => c.version)
          .join(', ')})`,
      );
      continue;
    }
    const found: Errors = [];
    const copy = structuredClone(o);
    prune(copy, crd.schema, '', found, true);
    applyDefaults(copy, crd.schema);
    validateNode(copy, crd.schema, '', { bundle, errors: found }, true);
    errors.push(...found.map((e) => `${bundle}: ${e}`));
  }
  return errors;
}
