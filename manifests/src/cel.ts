/**
 * CEL the way the Kubernetes API server evaluates `x-kubernetes-validations` rules, offline:
 * `@bufbuild/cel` (a conformance-tested CEL evaluator with RE2 regular expressions, as cel-go has)
 * plus the part of the Kubernetes CEL environment the pinned CRDs need. Values reach a rule typed by
 * their schema (integers as CEL int, int-or-string as int or string, declared properties with the
 * Kubernetes name escaping, `namespace` → `__namespace__`). A rule calling a function this
 * environment does not have is an error naming the rule and the function, never a silent pass.
 */
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import type { JsonSchema } from './crds';

// The standard library (which has `matches`, `duration`, `timestamp`, `size`, the macros) plus the
// strings extension, which the API server's CEL environment also includes. Kubernetes' own library
// functions (isURL, quantity, ip, cidr, lists, regex, format …) are not implemented: none of the
// pinned CRDs uses one, and `unsupportedFunctions` turns a rule that does into a failure.
const ENV = celEnv({ funcs: strings });

/** Planner built-ins that are not looked up in the function registry. */
const BUILT_IN = new Set([
  '_[_]',
  '_[?_]',
  '_?._',
  '_?_:_',
  '_&&_',
  '_||_',
  '@not_strictly_false',
  '__not_strictly_false__',
]);

// CEL keywords (and reserved words) a property name is escaped from, as Kubernetes does.
const RESERVED = new Set(
  'true false null in as break const continue else for function if import let loop package namespace return var void while'.split(
    ' ',
  ),
);
const ACCESSIBLE = /^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$/;
const ESCAPES: Record<string, string> = {
  __: '__underscores__',
  '.': '__dot__',
  '-': '__dash__',
  '/': '__slash__',
};

/** The name a property has in CEL, or undefined where Kubernetes makes it inaccessible. */
export function celPropertyName(name: string): string | undefined {
  if (!ACCESSIBLE.test(name)) return undefined;
  if (RESERVED.has(name)) return `__${name}__`;
  return name.replace(/__|[.\-/]/g, (m) => ESCAPES[m] as string);
}

type Program = (bindings: Record<string, unknown>) => unknown;
const programs = new Map<string, Program | Error>();

// biome-ignore lint/suspicious/noExplicitAny: protobuf-es Expr messages walked generically.
function calledFunctions(node: any, found: Set<string>): Set<string> {
  if (node === null || typeof node !== 'object') return found;
  if (node.$typeName === 'cel.expr.Expr.Call') {
    const qualified = qualifiedName(node.target);
    const name: string = node.function;
    const known =
      BUILT_IN.has(name) ||
      ENV.funcs.find(name) !== undefined ||
      (qualified !== undefined && ENV.funcs.find(`${qualified}.${name}`) !== undefined);
    if (!known) found.add(qualified !== undefined && !ENV.funcs.find(name) ? `${qualified}.${name}` : name);
  }
  for (const value of Object.values(node)) calledFunctions(value, found);
  return found;
}

// biome-ignore lint/suspicious/noExplicitAny: as above.
function qualifiedName(expr: any): string | undefined {
  if (expr?.exprKind?.case === 'identExpr') return expr.exprKind.value.name;
  if (expr?.exprKind?.case === 'selectExpr') {
    const operand = qualifiedName(expr.exprKind.value.operand);
    return operand === undefined ? undefined : `${operand}.${expr.exprKind.value.field}`;
  }
  return undefined;
}

/** Functions a rule calls that this environment lacks ([] when it can evaluate the rule). */
export function unsupportedFunctions(rule: string): string[] {
  return [...calledFunctions(parse(rule).expr, new Set())];
}

function compile(rule: string): Program | Error {
  let program = programs.get(rule);
  if (program === undefined) {
    try {
      const missing = unsupportedFunctions(rule);
      program =
        missing.length > 0
          ? new Error(`uses ${missing.join(', ')}, which this validator does not implement`)
          : (plan(ENV, parse(rule)) as Program);
    } catch (error) {
      program = new Error(`does not compile: ${(error as Error).message}`);
    }
    programs.set(rule, program);
  }
  return program;
}

export type CelOutcome = { ok: true; value: unknown } | { ok: false; error: string };

/** Evaluates a rule with the given variables (already converted with `toCel`). */
export function evaluate(rule: string, bindings: Record<string, unknown>): CelOutcome {
  const program = compile(rule);
  if (program instanceof Error) return { ok: false, error: program.message };
  const value = program(bindings);
  if (isCelError(value)) return { ok: false, error: value.message };
  return { ok: true, value };
}

const FORMAT_TYPES: Record<string, string> = {
  byte: 'bytes',
  duration: 'duration',
  date: 'timestamp',
  'date-time': 'timestamp',
  datetime: 'timestamp',
};

/**
 * The CEL value of `value` under `schema`. Fails (throws) on a string whose format the API server
 * would hand to CEL as bytes, duration or timestamp: no pinned rule reads one, and passing it as a
 * string would evaluate such a rule differently.
 */
export function toCel(value: unknown, schema: JsonSchema): unknown {
  if (value === null || value === undefined) return null;
  if (schema === undefined || schema === null) return dynamic(value);
  if (schema['x-kubernetes-int-or-string'] === true) return typeof value === 'number' ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((item) => toCel(item, schema.items));
  if (typeof value === 'object') {
    const map = new Map<string, unknown>();
    const properties: Record<string, JsonSchema> | undefined = schema.properties;
    for (const [key, child] of Object.entries(value)) {
      if (properties?.[key] !== undefined) {
        const name = celPropertyName(key);
        if (name !== undefined) map.set(name, toCel(child, properties[key]));
      } else if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
        map.set(
          key,
          toCel(child, schema.additionalProperties === true ? undefined : schema.additionalProperties),
        );
      } else if (properties === undefined && schema['x-kubernetes-preserve-unknown-fields'] === true) {
        map.set(key, dynamic(child));
      }
    }
    return map;
  }
  if (typeof value === 'number') return schema.type === 'integer' ? BigInt(value) : value;
  if (typeof value === 'string' && FORMAT_TYPES[schema.format] !== undefined)
    throw new Error(
      `a string of format ${schema.format} (a CEL ${FORMAT_TYPES[schema.format]}) is not supported`,
    );
  return value;
}

/** Schema-less values (under x-kubernetes-preserve-unknown-fields): integers as int, like JSON decoding into int64. */
function dynamic(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dynamic);
  if (value !== null && typeof value === 'object')
    return new Map(Object.entries(value).map(([k, v]) => [k, dynamic(v)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}
