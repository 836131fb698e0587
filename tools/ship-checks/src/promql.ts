/**
 * Reads the metric names and label names a PromQL expression (or a Grafana `label_values(...)`
 * query) uses. Not a PromQL parser: enough to check a dashboard against the metrics the services
 * export. Grafana variables (`$track`, `$__rate_interval`) may appear inside strings and ranges.
 */

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface PromqlUse {
  /** Series names: bare identifiers and the alternatives of a `__name__` matcher. */
  metrics: string[];
  /** Label matchers inside `{…}`, `__name__` excluded. */
  matchers: Matcher[];
  /** Labels named in `by (…)` / `without (…)` and as `label_values`' second argument. */
  groupingLabels: string[];
}

const MATCHER = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;
const SELECTOR_BODY = /\{([^{}]*)\}/g;
const GROUPING = /\b(?:by|without)\s*\(([^()]*)\)/g;
const LABEL_VALUES = /^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s;
/** Words that look like identifiers but are PromQL functions, keywords or Grafana's range variables. */
const NOT_METRICS = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'rate',
  'irate',
  'increase',
  'histogram_quantile',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'label_values',
  'topk',
  'bottomk',
  'clamp_min',
  'clamp_max',
  'vector',
  'scalar',
  'abs',
]);

function labelList(text: string): string[] {
  return text
    .split(',')
    .map((label) => label.trim())
    .filter((label) => label !== '');
}

export function readPromql(expression: string): PromqlUse {
  let expr = expression;
  const groupingLabels: string[] = [];
  const labelValues = LABEL_VALUES.exec(expr);
  if (labelValues) {
    expr = labelValues[1] ?? '';
    groupingLabels.push(labelValues[2] ?? '');
  }
  const matchers: Matcher[] = [];
  const metrics: string[] = [];
  for (const body of expr.matchAll(SELECTOR_BODY)) {
    for (const match of (body[1] ?? '').matchAll(MATCHER)) {
      const matcher = { label: match[1] ?? '', op: match[2] as Matcher['op'], value: match[3] ?? '' };
      if (matcher.label !== '__name__') {
        matchers.push(matcher);
      } else if (matcher.op === '=' || matcher.op === '=~') {
        metrics.push(...matcher.value.split('|'));
      }
    }
  }
  for (const group of expr.matchAll(GROUPING)) groupingLabels.push(...labelList(group[1] ?? ''));
  // Identifiers outside strings, selector bodies, grouping clauses, ranges and Grafana variables.
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(SELECTOR_BODY, '{}')
    .replace(GROUPING, '')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '');
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    if (!NOT_METRICS.has(word)) metrics.push(word);
  }
  return { metrics: [...new Set(metrics)], matchers, groupingLabels: [...new Set(groupingLabels)] };
}
