/**
 * The one PromQL reader of the repository (the Grafana dashboard check here and the manifests'
 * Flagger MetricTemplate check use it), on Prometheus' own grammar, `@prometheus-io/lezer-promql`:
 * which series an expression selects, with which label matchers, and which labels it groups or
 * matches on. Template variables are accepted where dashboards and Flagger put them — inside strings,
 * and as a whole range (`[$__rate_interval]`, `[{{ interval }}]`) — and a Grafana `label_values(…)`
 * query is read as its selector plus the label. Anything the grammar rejects is an error.
 */
import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export class PromqlError extends Error {
  override name = 'PromqlError';
}

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  /** The series names it selects: its metric name, or the alternatives of a `__name__` matcher. */
  metrics: string[];
  /** Its label matchers, `__name__` excluded. */
  matchers: Matcher[];
  /**
   * The number its operand falls back to when it selects nothing: set when the selector's own
   * operand (the selector with the functions, aggregation and parentheses around it, up to the
   * first binary operator) is the left side of `… or on() vector(N)`.
   */
  fallback?: number;
}

export interface PromqlUse {
  /** Every series name the expression selects. */
  metrics: string[];
  /** Every label matcher inside `{…}`, `__name__` excluded. */
  matchers: Matcher[];
  /** Labels named in `by (…)` / `without (…)` and as `label_values`' second argument. */
  groupingLabels: string[];
  /** Labels named in `on (…)` / `ignoring (…)` / `group_left (…)` / `group_right (…)`. */
  matchingLabels: string[];
  selectors: Selector[];
}

const LABEL_VALUES = /^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s;
/** A whole range that is a template variable: Grafana `$x` / `${x}`, Flagger `{{ x }}`. */
const TEMPLATED_RANGE = /\[\s*(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{[^{}]*\}\})\s*\]/g;

function stringValue(literal: string): string {
  if (literal.startsWith('"')) {
    try {
      return JSON.parse(literal) as string;
    } catch {
      return literal.slice(1, -1);
    }
  }
  return literal.slice(1, -1);
}

/** `N` when the operand around `selector` is the left side of `… or on() vector(N)`. */
function fallbackOf(selector: SyntaxNode, text: (node: SyntaxNode) => string): number | undefined {
  let operand = selector;
  while (operand.parent && operand.parent.name !== 'BinaryExpr' && operand.parent.name !== 'PromQL')
    operand = operand.parent;
  const binary = operand.parent;
  if (binary?.name !== 'BinaryExpr' || binary.firstChild?.from !== operand.from) return undefined;
  const modifier = binary.getChild('MatchingModifierClause');
  const right = binary.lastChild;
  const onNothing =
    modifier !== null &&
    modifier.getChild('On') !== null &&
    modifier.getChild('GroupingLabels')?.getChildren('LabelName').length === 0;
  if (binary.getChild('Or') === null || !onNothing || right?.name !== 'FunctionCall') return undefined;
  const call = /^vector\s*\(\s*([0-9.]+)\s*\)$/.exec(text(right));
  return call ? Number(call[1]) : undefined;
}

export function readPromql(expression: string): PromqlUse {
  let expr = expression;
  const groupingLabels: string[] = [];
  const labelValues = LABEL_VALUES.exec(expr);
  if (labelValues) {
    expr = labelValues[1] ?? '';
    groupingLabels.push(labelValues[2] ?? '');
  }
  expr = expr.replace(TEMPLATED_RANGE, '[1m]');
  const text = (node: SyntaxNode) => expr.slice(node.from, node.to);
  const tree = parser.parse(expr);
  const selectors: Selector[] = [];
  const matchingLabels: string[] = [];
  let error: string | undefined;
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError) {
        error ??= `cannot read PromQL at ${ref.from}: ${JSON.stringify(expr.slice(ref.from, ref.from + 20))}`;
        return false;
      }
      const node = ref.node;
      if (ref.name === 'QuotedLabelMatcher' || ref.name === 'QuotedLabelName') {
        error ??= `quoted label names are not supported: ${text(node)}`;
        return false;
      }
      if (ref.name === 'VectorSelector') {
        const metrics = node.getChildren('Identifier').map(text);
        const matchers: Matcher[] = [];
        for (const matcherNode of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
          const label = matcherNode.getChild('LabelName');
          const op = matcherNode.getChild('MatchOp');
          const value = matcherNode.getChild('StringLiteral');
          if (!label || !op || !value) continue;
          const matcher = {
            label: text(label),
            op: text(op) as Matcher['op'],
            value: stringValue(text(value)),
          };
          if (matcher.label !== '__name__') matchers.push(matcher);
          else if (matcher.op === '=' || matcher.op === '=~') metrics.push(...matcher.value.split('|'));
        }
        const fallback = fallbackOf(node, text);
        selectors.push(fallback === undefined ? { metrics, matchers } : { metrics, matchers, fallback });
      }
      if (ref.name === 'AggregateModifier' || ref.name === 'MatchingModifierClause') {
        const labels = node
          .getChildren('GroupingLabels')
          .flatMap((group) => group.getChildren('LabelName').map(text));
        (ref.name === 'AggregateModifier' ? groupingLabels : matchingLabels).push(...labels);
      }
      return undefined;
    },
  });
  if (error !== undefined) throw new PromqlError(error);
  return {
    metrics: [...new Set(selectors.flatMap((selector) => selector.metrics))],
    matchers: selectors.flatMap((selector) => selector.matchers),
    groupingLabels: [...new Set(groupingLabels)],
    matchingLabels: [...new Set(matchingLabels)],
    selectors,
  };
}
