/** Builds the CheckContext: the corpus plus what the services' own code and images say (env, metrics, Dockerfiles). */
import type { CheckContext } from './checks';
import { type Corpus, loadCorpus } from './corpus';
import { loadImageFacts } from './image-facts';
import { serviceEnvContract } from './service-config';

async function metricLabels(): Promise<Map<string, readonly string[]>> {
  const { METRIC_DEFINITIONS } = (await import('@pr-canary/canary-context')) as {
    METRIC_DEFINITIONS: readonly { name: string; labelNames: readonly string[] }[];
  };
  return new Map(METRIC_DEFINITIONS.map((m) => [m.name, m.labelNames]));
}

export async function loadCheckContext(corpus?: Corpus): Promise<CheckContext> {
  const [loaded, api, store, metrics] = await Promise.all([
    corpus ?? loadCorpus(),
    serviceEnvContract('api-service'),
    serviceEnvContract('store-service'),
    metricLabels(),
  ]);
  return {
    corpus: loaded,
    env: { 'api-service': api, 'store-service': store },
    metrics,
    images: loadImageFacts(),
  };
}
