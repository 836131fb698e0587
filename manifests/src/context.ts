/** Builds the CheckContext: the corpus plus what the services' own code and images say (env, metrics, Dockerfiles). */
import type { CheckContext } from './checks';
import { type Corpus, loadCorpus } from './corpus';
import { loadImageFacts } from './image-facts';
import { serviceEnvContract } from './service-config';
import { nodeServices } from './services';

async function metricLabels(): Promise<Map<string, readonly string[]>> {
  const { METRIC_DEFINITIONS } = (await import('@pr-canary/canary-context')) as {
    METRIC_DEFINITIONS: readonly { name: string; labelNames: readonly string[] }[];
  };
  return new Map(METRIC_DEFINITIONS.map((m) => [m.name, m.labelNames]));
}

export async function loadCheckContext(corpus?: Corpus): Promise<CheckContext> {
  const [loaded, contracts, metrics] = await Promise.all([
    corpus ?? loadCorpus(),
    Promise.all(
      nodeServices().map(async (service) => [service.name, await serviceEnvContract(service)] as const),
    ),
    metricLabels(),
  ]);
  return {
    corpus: loaded,
    env: Object.fromEntries(contracts),
    metrics,
    images: loadImageFacts(),
  };
}
