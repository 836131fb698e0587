/**
 * The verdict reads the same series, with the same idea of an error, as the Flagger MetricTemplates,
 * the Grafana dashboard and the services themselves; the Flagger Canaries' thresholds are the gates
 * the verdict reports. Checked here on the shipped files, with the repository's PromQL reader.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DURATION_BUCKETS, METRIC_DEFINITIONS } from '@pr-canary/canary-context';
import { readPromql } from '@pr-canary/ship-checks/promql';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { FLAGGER_GATES, METRIC_FAMILIES } from '../src/metrics';
import { hopQueries } from '../src/promql';

const REPO = path.resolve(__dirname, '../../..');
const DELIVERY = path.join(REPO, 'manifests/components/progressive-delivery');

interface FlaggerDocument {
  kind: string;
  metadata: { name: string };
  spec: {
    query?: string;
    analysis?: { metrics: { templateRef: { name: string }; thresholdRange: { max: number } }[] };
  };
}

function yamlDocuments(file: string): FlaggerDocument[] {
  return parseAllDocuments(readFileSync(path.join(DELIVERY, file), 'utf8')).map((doc) => doc.toJS());
}

const templates = new Map(
  yamlDocuments('metric-templates.yaml').map((doc) => [
    doc.metadata.name as string,
    doc.spec.query as string,
  ]),
);

describe('one set of series for verdicts, Flagger and Grafana', () => {
  it('reads series the services define, with the labels it filters on', () => {
    for (const family of Object.values(METRIC_FAMILIES)) {
      for (const name of [family.requests, family.duration]) {
        const definition = METRIC_DEFINITIONS.find((d) => d.name === name);
        expect(definition, name).toBeDefined();
        expect(definition?.labelNames).toEqual(
          expect.arrayContaining([family.errorLabel, 'track', 'canary']),
        );
      }
    }
  });

  it.each(FLAGGER_GATES.map((gates) => [gates.service, gates] as const))(
    "%s: Flagger's MetricTemplates count errors and latency on the same series",
    (_service, gates) => {
      const family = METRIC_FAMILIES[gates.protocol];
      const errors = readPromql(templates.get(gates.errorRate.template) ?? '');
      expect(errors.metrics).toEqual([family.requests]);
      expect(errors.matchers).toContainEqual({
        label: family.errorLabel,
        op: '=~',
        value: family.errorPattern,
      });
      const latency = readPromql(templates.get(gates.latencyP99.template) ?? '');
      expect(latency.metrics).toEqual([`${family.duration}_bucket`]);
    },
  );

  // Every Canary file of the component, the registry's services' and any other: one per service that
  // has gates, and each runs exactly its protocol's MetricTemplates with exactly its protocol's maxima.
  const canaryFiles = readdirSync(DELIVERY).filter((file) => /^canary-.+\.yaml$/.test(file));

  it("every p99 gate is a bound of the services' duration buckets, so it is read exactly", () => {
    // histogram_quantile interpolates inside a bucket: with the gate on a bound, p99 ≤ gate exactly
    // when 99 % of calls took at most that long; inside a bucket it would depend on the interpolation.
    const offBounds = FLAGGER_GATES.filter(
      (gates) => !DURATION_BUCKETS.includes(gates.latencyP99.maxMs / 1000),
    ).map((gates) => `${gates.service}: ${gates.latencyP99.maxMs} ms`);
    expect(offBounds).toEqual([]);
  });

  it('there is a Canary for every service with gates, and none for any other', () => {
    expect(canaryFiles.sort()).toEqual(FLAGGER_GATES.map((gates) => `canary-${gates.service}.yaml`).sort());
  });

  it.each(canaryFiles)("%s: the Canary's analysis is its service's gates, the verdict reports", (file) => {
    const canaries = yamlDocuments(file).filter((doc) => doc.kind === 'Canary');
    expect(canaries.map((doc) => doc.metadata.name)).toEqual([file.slice('canary-'.length, -'.yaml'.length)]);
    const [canary] = canaries;
    const gates = FLAGGER_GATES.find((g) => g.service === canary?.metadata.name);
    expect(
      gates,
      `${canary?.metadata.name} has no Flagger gates (not a Node service of the registry)`,
    ).toBeDefined();
    if (!canary || !gates) return;
    const analysis = (canary.spec.analysis?.metrics ?? []).map((m) => ({
      template: m.templateRef.name,
      max: m.thresholdRange.max,
    }));
    expect(analysis).toEqual([
      { template: gates.errorRate.template, max: gates.errorRate.maxPercent },
      { template: gates.latencyP99.template, max: gates.latencyP99.maxMs },
    ]);
    for (const { template } of analysis) expect(templates.has(template), template).toBe(true);
  });

  it("the dashboard's error panels use the same error matchers", () => {
    interface Panel {
      targets?: { expr: string }[];
      panels?: Panel[];
    }
    const dashboard: { panels: Panel[] } = JSON.parse(
      readFileSync(path.join(REPO, 'manifests/components/grafana-dashboards/canary-vs-stable.json'), 'utf8'),
    );
    const expressions: string[] = [];
    const walk = (panels: Panel[] | undefined) => {
      for (const panel of panels ?? []) {
        for (const target of panel.targets ?? []) expressions.push(target.expr);
        walk(panel.panels);
      }
    };
    walk(dashboard.panels);
    for (const family of Object.values(METRIC_FAMILIES)) {
      const errorMatchers = expressions
        .map(readPromql)
        .flatMap((use) => use.selectors)
        .filter((s) => s.metrics.includes(family.requests))
        .flatMap((s) => s.matchers.filter((m) => m.label === family.errorLabel));
      expect(errorMatchers.length).toBeGreaterThan(0);
      for (const matcher of errorMatchers)
        expect(matcher).toEqual({ label: family.errorLabel, op: '=~', value: family.errorPattern });
    }
  });

  it("the cluster verdict's PromQL is valid and selects the same series", () => {
    const side = { namespace: 'store-canary-pr-42', track: 'pr-42', canary: 'present' } as const;
    // The whole window, and its first half (the same range, ended half a window ago).
    for (const [family, offset] of Object.values(METRIC_FAMILIES).flatMap((f) =>
      [undefined, '900s'].map((o) => [f, o] as const),
    )) {
      const q = hopQueries(family.protocol, side, offset === undefined ? '30m' : '900s', offset);
      expect(readPromql(q.calls).metrics).toEqual([family.requests]);
      expect(readPromql(q.errors).matchers).toContainEqual({
        label: family.errorLabel,
        op: '=~',
        value: family.errorPattern,
      });
      const buckets = readPromql(q.buckets);
      expect(buckets.metrics).toEqual([`${family.duration}_bucket`]);
      expect(buckets.groupingLabels).toEqual(['le']);
      expect(buckets.matchers.map((m) => m.label)).toEqual(['namespace', 'track', 'canary']);
    }
  });
});
