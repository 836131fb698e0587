/**
 * The subset of Go text/template that the ApplicationSet templates in this folder may use, rendered
 * the way Argo CD does with `goTemplate: true` and `goTemplateOptions: ["missingkey=error"]`: every
 * string field of the template is rendered on its own, parameters are strings (`number` too).
 *
 * Allowed: `{{.param}}` and `{{ .nested.param }}`, and one sprig function, `regexReplaceAll "RE"
 * .param "REPL"` (Go `regexp.MustCompile(RE).ReplaceAllString(param, REPL)`), limited to what it is
 * used for — the PR edge rule's "any value but N" pattern, derived from the PR number digit by digit —
 * where JavaScript behaves exactly like Go: RE made of literal characters, `\d` and one capture group;
 * REPL with `$$` and `${1}` only. Anything else (pipelines, other functions, `{{-`, conditionals,
 * ranges) is refused, so a template never relies on behaviour this renderer does not reproduce
 * faithfully.
 */

export type TemplateParams = { readonly [key: string]: string | TemplateParams };

export class TemplateError extends Error {
  override name = 'TemplateError';
}

const ACTION = /\{\{(.*?)\}\}/gs;
const FIELD_ACTION = /^ ?\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) ?$/;
/** `regexReplaceAll "RE" .param "REPL"` with Go interpreted string literals (escapes: `\\` and `\"`). */
const REGEX_REPLACE_ACTION =
  /^ ?regexReplaceAll "((?:[^"\\]|\\[\\"])*)" \.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) "((?:[^"\\]|\\[\\"])*)" ?$/;
/** The regexps allowed in regexReplaceAll: literal characters, `\d`, and at most one `(…)` group. */
const SUPPORTED_REGEX = /^(?:[A-Za-z0-9_-]|\\d)*(?:\((?:[A-Za-z0-9_-]|\\d)+\)(?:[A-Za-z0-9_-]|\\d)*)?$/;

function goStringLiteral(text: string): string {
  return text.replace(/\\([\\"])/g, '$1');
}

/** Go's Regexp.Expand for the supported subset: `$$` is `$`, `${1}` the group; any other `$` is refused. */
function expandReplacement(template: string, group: string | undefined): string {
  if (/\$(?!\$|\{1\})/.test(template.replaceAll('$$', ''))) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, named in the message
    throw new TemplateError('regexReplaceAll: only $$ and ${1} are supported in the replacement');
  }
  return template.replace(/\$\$|\$\{1\}/g, (token) => (token === '$$' ? '$' : (group ?? '')));
}

function regexReplaceAll(regex: string, value: string, replacement: string): string {
  if (!SUPPORTED_REGEX.test(regex)) {
    throw new TemplateError('regexReplaceAll: only literal characters, \\d and one (…) group are supported');
  }
  return value.replace(new RegExp(regex, 'g'), (_match, group: string | undefined) =>
    expandReplacement(replacement, group),
  );
}

function lookup(params: TemplateParams, path: string): string {
  let value: string | TemplateParams | undefined = params;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || !Object.hasOwn(value, key)) {
      throw new TemplateError(`map has no entry for key "${key}" in {{.${path}}} (missingkey=error)`);
    }
    value = value[key];
  }
  if (typeof value !== 'string') {
    throw new TemplateError(`{{.${path}}} is not a string parameter`);
  }
  return value;
}

/** Renders one string. Throws TemplateError on a missing key or an unsupported action. */
export function renderTemplateString(text: string, params: TemplateParams): string {
  if (text.replace(ACTION, '').includes('{{')) {
    throw new TemplateError('unclosed template action: "{{" without "}}"');
  }
  return text.replace(ACTION, (_whole, inner: string) => {
    const call = REGEX_REPLACE_ACTION.exec(inner);
    if (call) {
      const [, regex = '', path = '', replacement = ''] = call;
      return regexReplaceAll(goStringLiteral(regex), lookup(params, path), goStringLiteral(replacement));
    }
    const field = FIELD_ACTION.exec(inner);
    if (field?.[1] === undefined) {
      throw new TemplateError(`unsupported template action {{${inner}}}: only {{.param}} is allowed`);
    }
    return lookup(params, field[1]);
  });
}

/** Renders every string in a JSON-like tree (keys included, as Argo CD does), returning a copy. */
export function renderTemplateTree<T>(tree: T, params: TemplateParams): T {
  return renderNode(tree, params) as T;
}

function renderNode(node: unknown, params: TemplateParams): unknown {
  if (typeof node === 'string') return renderTemplateString(node, params);
  if (Array.isArray(node)) return node.map((item) => renderNode(item, params));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        renderTemplateString(key, params),
        renderNode(value, params),
      ]),
    );
  }
  return node;
}
