/**
 * The `GET /api/route` report: where a request landed at every hop. The api answers it; the `pr-canary
 * probe` CLI, the web UI's route inspector and the extension's "check" button read it. One schema
 * (zod/mini: small and tree-shakable, the web UI and the extension bundle it), from which the JSON
 * Schema the api serializes its response with is derived ({@link deriveRouteReportJsonSchema}, written
 * to `route-report.schema.json` so that the api does not load zod to start).
 *
 * Everything in it is safe to print: the canary is a PR number, the warning and every hop field
 * printable ASCII of bounded length, so no escape sequence or line break from a server reaches a
 * terminal, a log or a page.
 */
import * as z from 'zod/mini';
import { PR_NUMBER_PATTERN } from './canary-key';
import {
  isValidEntry,
  MAX_SERVED_BY_ENTRIES,
  MAX_SERVED_BY_FIELD_LENGTH,
  type ServedByEntry,
} from './served-by';

/** Longest `warning` (an `X-Canary-Warning` text) a report may carry. */
export const MAX_ROUTE_WARNING_LENGTH = 512;

const hopField = z.string().check(z.maxLength(MAX_SERVED_BY_FIELD_LENGTH));

/** One hop: what its served-by entry says (a token service name, printable ASCII track and version). */
export const routeHopSchema = z
  .object({ service: hopField, track: hopField, version: hopField })
  .check(
    z.refine(
      isValidEntry,
      'is not a served-by entry (token service name, printable ASCII track and version)',
    ),
  );

/** The hops in request order (the api first); at most as many as a served-by chain keeps. */
export const routeHopsSchema = z.array(routeHopSchema).check(z.maxLength(MAX_SERVED_BY_ENTRIES));

/** The body of a successful `GET /api/route`. */
export const routeReportSchema = z.object({
  /** The PR the request was served under (its valid `X-Canary`), or null. */
  canary: z.nullable(z.string().check(z.regex(PR_NUMBER_PATTERN))),
  /** Why a sent key was ignored (the `X-Canary-Warning` text), or null. */
  warning: z.nullable(z.string().check(z.maxLength(MAX_ROUTE_WARNING_LENGTH), z.regex(/^[\x20-\x7e]*$/))),
  hops: routeHopsSchema,
});

/**
 * The JSON Schema (draft-07, what Fastify's Ajv speaks) of {@link routeReportSchema}, for the api's
 * response serialization: `npm run write-schema -w @pr-canary/contracts` writes it to
 * `src/route-report.schema.json`, which the api reads (`./route-report-json-schema`), and a test
 * checks the two are equal. A function, so bundles that only read reports leave zod's converter out.
 * Nullable fields are written as a type list (`type: ["string", "null"]`), not zod's `anyOf` of the
 * two: the same values, but fast-json-stringify picks an `anyOf` branch by running a validator on
 * every response, and a type list by `typeof`.
 */
export function deriveRouteReportJsonSchema(): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(routeReportSchema, {
    target: 'draft-7',
    unrepresentable: 'any',
  });
  return nullableAsTypeList(schema) as Record<string, unknown>;
}

/** `{anyOf: [{type: T, …}, {type: "null"}]}` → `{type: [T, "null"], …}`, everywhere in a JSON Schema. */
function nullableAsTypeList(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableAsTypeList);
  if (typeof node !== 'object' || node === null) return node;
  const { anyOf, ...rest } = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, nullableAsTypeList(value)]),
  );
  if (Array.isArray(anyOf) && anyOf.length === 2) {
    const [value, other] = anyOf as Record<string, unknown>[];
    if (typeof value?.type === 'string' && JSON.stringify(other) === '{"type":"null"}')
      return { ...rest, ...value, type: [value.type, 'null'] };
  }
  return anyOf === undefined ? rest : { ...rest, anyOf };
}

export interface RouteReport {
  canary: string | null;
  warning: string | null;
  hops: ServedByEntry[];
}

export type RouteReadResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Reads a `/api/route` body (untrusted JSON). On failure `problem` names the first field that does not
 * match and why (`hops.1.service: …`), never the value that was sent.
 */
export function parseRouteReport(body: unknown): RouteReadResult<RouteReport> {
  const result = z.safeParse(routeReportSchema, body);
  return result.success ? { ok: true, value: result.data } : { ok: false, problem: describe(result.error) };
}

/** Reads the `hops` of a `/api/route` body: the api's error answers (503/504) carry them too. */
export function parseRouteHops(value: unknown): RouteReadResult<ServedByEntry[]> {
  const result = z.safeParse(routeHopsSchema, value);
  return result.success ? { ok: true, value: result.data } : { ok: false, problem: describe(result.error) };
}

function describe(error: z.core.$ZodError): string {
  const [issue] = error.issues;
  if (!issue) return 'the body does not match';
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the body';
  return `${where}: ${issueText(issue)}`;
}

/** Fixed text per issue kind: zod's own messages may quote the input (e.g. an unexpected key). */
function issueText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_big':
      return `longer than ${String(issue.maximum)}`;
    case 'invalid_format':
      return 'has the wrong format';
    case 'custom':
      return issue.message;
    default:
      return 'is not valid';
  }
}
