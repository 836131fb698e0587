import { status as grpcStatus } from '@grpc/grpc-js';
import { METRIC_DEFINITIONS } from '@pr-canary/canary-context';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SERVICES } from '../../../.github/scripts/services.mjs';
import { renderedObject, renderKustomization } from '../src/kustomize';
import { readPromql } from '../src/promql';
import { readRepoFile, repoPath } from '../src/repo';
import { externalTool, run } from '../src/tools';

const DASHBOARD_FILE = 'manifests/components/grafana-dashboards/canary-vs-stable.json';
/**
 * Labels the Prometheus operator gives every target of a ServiceMonitor endpoint before its own
 * relabelings (prometheus-operator pkg/prometheus/promcfg.go: namespace, service, pod, container,
 * `job` = the Service name or its `jobLabel` label, `endpoint` = the port name; `instance` from Prometheus).
 */
const OPERATOR_TARGET_LABELS = ['instance', 'job', 'namespace', 'service', 'pod', 'container', 'endpoint'];

interface Relabeling {
  action?: string;
  targetLabel?: string;
  regex?: string;
}
interface ServiceMonitor {
  spec: {
    jobLabel?: string;
    selector: { matchLabels: Record<string, string> };
    endpoints: {
      port: string;
      honorLabels?: boolean;
      relabelings?: Relabeling[];
      metricRelabelings?: Relabeling[];
    }[];
  };
}
interface ServiceDoc {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: { ports: { name: string }[] };
}

/** The target labels one ServiceMonitor endpoint produces: the operator's, plus and minus its relabelings. */
function endpointTargetLabels(endpoint: ServiceMonitor['spec']['endpoints'][number]): string[] {
  const labels = new Set(OPERATOR_TARGET_LABELS);
  for (const rule of [...(endpoint.relabelings ?? []), ...(endpoint.metricRelabelings ?? [])]) {
    const action = (rule.action ?? 'replace').toLowerCase();
    if (action === 'replace') {
      if (rule.targetLabel && !rule.targetLabel.startsWith('__')) labels.add(rule.targetLabel);
    } else if (action === 'labeldrop') {
      const dropped = new RegExp(`^(?:${rule.regex})$`);
      for (const label of labels) if (dropped.test(label)) labels.delete(label);
    } else if (action !== 'keep' && action !== 'drop') {
      throw new Error(`relabeling action ${action}: check the dashboard by hand`);
    }
  }
  return [...labels];
}

/** The ServiceMonitors of the services that export METRIC_DEFINITIONS, with the Services they select. */
const monitors = SERVICES.filter((service) => service.runtime === 'node').map(({ name: service }) => {
  const base = `manifests/base/${service}`;
  const monitor = renderedObject<ServiceMonitor>(base, 'ServiceMonitor');
  const services = renderKustomization(base)
    .filter((object) => object.kind === 'Service')
    .map((object) => object as unknown as ServiceDoc);
  const selected = services.filter((candidate) =>
    Object.entries(monitor.spec.selector.matchLabels).every(
      ([key, value]) => candidate.metadata.labels?.[key] === value,
    ),
  );
  return { service, monitor, selected };
});
/** Target labels every series of every service has (what a dashboard may match and group on). */
const TARGET_LABELS = monitors
  .flatMap(({ monitor }) => monitor.spec.endpoints.map(endpointTargetLabels))
  .reduce((shared, labels) => shared.filter((label) => labels.includes(label)));
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

interface Target {
  expr: string;
}
interface Panel {
  type: string;
  title: string;
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

const dashboard = JSON.parse(readRepoFile(DASHBOARD_FILE)) as Dashboard;
const definitions = new Map<string, { type: string; labelNames: readonly string[] }>(
  METRIC_DEFINITIONS.map((definition) => [definition.name, definition]),
);

/** The labels a series has: its definition's labels plus target labels (+ `le` on histogram buckets). */
function seriesLabels(series: string): string[] {
  const exact = definitions.get(series);
  if (exact && exact.type !== 'histogram') return [...exact.labelNames, ...TARGET_LABELS];
  for (const suffix of HISTOGRAM_SUFFIXES) {
    const base = definitions.get(series.slice(0, -suffix.length));
    if (series.endsWith(suffix) && base?.type === 'histogram') {
      return [...base.labelNames, ...TARGET_LABELS, ...(suffix === '_bucket' ? ['le'] : [])];
    }
  }
  throw new Error(`${series} is not a series the services export (METRIC_DEFINITIONS)`);
}

function variableQuery(query: string | { query: string } | undefined): string {
  return typeof query === 'string' ? query : (query?.query ?? '');
}

const expressions = [
  ...dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => [`panel "${panel.title}"`, target.expr] as const),
  ),
  ...dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => [`variable $${variable.name}`, variableQuery(variable.query)] as const),
];

describe('the scrape targets behind the dashboard (each Node service’s rendered base)', () => {
  it.each(monitors)(
    '$service: the ServiceMonitor selects a Service with the port it scrapes',
    ({ monitor, selected }) => {
      expect(selected).toHaveLength(1);
      for (const endpoint of monitor.spec.endpoints) {
        expect(selected[0]?.spec.ports.map((port) => port.name)).toContain(endpoint.port);
      }
    },
  );

  it('every series keeps the services’ own labels: none collides with a target label (it would become exported_<label>)', () => {
    expect(TARGET_LABELS).toEqual(expect.arrayContaining(['job', 'namespace', 'pod']));
    for (const definition of METRIC_DEFINITIONS) {
      for (const label of definition.labelNames)
        expect(OPERATOR_TARGET_LABELS, `${definition.name}{${label}}`).not.toContain(label);
    }
  });

  it('never matches on a job value: job is the scrape Service’s name, which the manifests own', () => {
    const jobs = monitors.map(({ monitor, selected }) =>
      monitor.spec.jobLabel
        ? selected[0]?.metadata.labels?.[monitor.spec.jobLabel]
        : selected[0]?.metadata.name,
    );
    expect(jobs.every((job) => typeof job === 'string' && job !== '')).toBe(true);
    for (const [where, expr] of expressions) {
      expect(
        readPromql(expr).matchers.filter((matcher) => matcher.label === 'job'),
        where,
      ).toEqual([]);
    }
  });

  it('the relabeling reader adds target labels and drops labeldrop matches', () => {
    expect(endpointTargetLabels({ port: 'metrics', relabelings: [{ targetLabel: 'cluster' }] })).toContain(
      'cluster',
    );
    expect(
      endpointTargetLabels({
        port: 'metrics',
        metricRelabelings: [{ action: 'labeldrop', regex: 'pod|container' }],
      }),
    ).not.toContain('pod');
    expect(() => endpointTargetLabels({ port: 'metrics', relabelings: [{ action: 'labelmap' }] })).toThrow(
      /by hand/,
    );
  });
});

describe('canary vs stable dashboard', () => {
  it('has a query for every graph panel', () => {
    const graphs = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(8);
    for (const panel of graphs) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
  });

  it.each(expressions)('%s names only series and labels the services export', (_where, expr) => {
    const use = readPromql(expr);
    expect(use.metrics.length).toBeGreaterThan(0);
    const labelSets = use.metrics.map(seriesLabels);
    // A label must exist on every series of the expression, or grouping/matching on it silently
    // yields nothing.
    const common = labelSets.reduce((shared, labels) => shared.filter((label) => labels.includes(label)));
    for (const label of [
      ...use.matchers.map((matcher) => matcher.label),
      ...use.groupingLabels,
      ...use.matchingLabels,
    ]) {
      expect(common, `label ${label}`).toContain(label);
    }
  });

  it('compares each PR track with stable in every service panel', () => {
    const panelExprs = expressions.filter(([where]) => where.startsWith('panel')).map(([, expr]) => expr);
    const compared = panelExprs.filter((expr) => expr.includes('track=~"stable|$track"'));
    expect(compared.length).toBeGreaterThanOrEqual(panelExprs.length - 1);
  });

  it('groups every panel by service (job) and track', () => {
    for (const [where, expr] of expressions.filter(([w]) => w.startsWith('panel'))) {
      expect(readPromql(expr).groupingLabels, where).toEqual(expect.arrayContaining(['job', 'track']));
    }
  });

  it('matches gRPC codes by the status names the services record', () => {
    const names = new Set(Object.keys(grpcStatus).filter((key) => Number.isNaN(Number(key))));
    for (const [where, expr] of expressions) {
      for (const matcher of readPromql(expr).matchers.filter((m) => m.label === 'grpc_code')) {
        for (const code of matcher.value.split('|')) expect(names, `${where}: ${code}`).toContain(code);
      }
    }
  });

  it('the checker itself rejects an unknown metric and a label the metric does not have', () => {
    expect(() => seriesLabels('pr_canary_http_requests_seconds')).toThrow(/not a series/);
    expect(() => seriesLabels('pr_canary_http_requests_total_bucket')).toThrow(/not a series/);
    expect(seriesLabels('pr_canary_grpc_client_handled_total')).not.toContain('canary');
    expect(readPromql('sum by (job, le) (rate(x_bucket{track=~"a|$t"}[$__rate_interval]))')).toEqual({
      metrics: ['x_bucket'],
      matchers: [{ label: 'track', op: '=~', value: 'a|$t' }],
      groupingLabels: ['job', 'le'],
      matchingLabels: [],
      selectors: [{ metrics: ['x_bucket'], matchers: [{ label: 'track', op: '=~', value: 'a|$t' }] }],
    });
    expect(readPromql('a / on (job) group_left (track) {__name__=~"b|c", x!="y"}')).toMatchObject({
      metrics: ['a', 'b', 'c'],
      matchers: [{ label: 'x', op: '!=', value: 'y' }],
      matchingLabels: ['job', 'track'],
    });
    expect(readPromql('label_values(up{job="w"}, track)')).toMatchObject({
      metrics: ['up'],
      groupingLabels: ['track'],
    });
    expect(() => readPromql('sum(rate(x[$__rate_interval])')).toThrow(/cannot read PromQL/);
    expect(() => readPromql('rate(x[$track] offset $y)')).toThrow(/cannot read PromQL/);
    expect(() => readPromql('sum by (le (rate(x[1m]))')).toThrow(/cannot read PromQL/);
    expect(() => readPromql('x{a="b",,}')).toThrow(/cannot read PromQL/);
  });

  it("reads a selector's fallback only where its own operand is `… or on() vector(N)`", () => {
    const fallbacks = (expr: string) => readPromql(expr).selectors.map((s) => s.fallback);
    expect(fallbacks('100 * (sum(rate(e{c=~"5.."}[1m])) or on() vector(0)) / sum(rate(e[1m]))')).toEqual([
      0,
      undefined,
    ]);
    // The whole ratio falling back is not the numerator falling back (no traffic would read as 0 %).
    expect(fallbacks('100 * sum(rate(e{c=~"5.."}[1m])) / sum(rate(e[1m])) or on() vector(0)')).toEqual([
      undefined,
      undefined,
    ]);
    expect(fallbacks('sum(e{c="x"}) or on(job) vector(0)')).toEqual([undefined]);
    expect(fallbacks('vector(0) or on() sum(e{c="x"})')).toEqual([undefined]);
  });
});

const kubectl = externalTool('kubectl', ['version', '--client']);
describe.skipIf(!kubectl)('dashboard ConfigMap', () => {
  it('is generated from the same JSON, labelled for Grafana’s sidecar (kubectl kustomize)', () => {
    const built = run('kubectl', ['kustomize', repoPath('localdev/cluster/dashboards')]);
    expect(built.stderr).toBe('');
    const [configMap] = parseAllDocuments(built.stdout).map((doc) => doc.toJS());
    expect(configMap).toMatchObject({
      kind: 'ConfigMap',
      metadata: { namespace: 'monitoring', labels: { grafana_dashboard: '1' } },
    });
    expect(configMap.data['canary-vs-stable.json']).toBe(readRepoFile(DASHBOARD_FILE));
  });
});
