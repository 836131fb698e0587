/**
 * Everything the checks look at, rendered once: the three overlays, the Argo CD objects, and the
 * Applications the PR ApplicationSets generate for sample pull requests, built the way Argo CD
 * builds them. Checks take a Corpus so tests can hand them a deliberately broken copy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Application, buildApplication, pullRequestParams, renderApplication } from './argocd';
import type { TemplateParams } from './go-template';
import { kustomizeBuild } from './kustomize';
import {
  argoCdFiles,
  ENVIRONMENTS,
  type Environment,
  loadRepoConfig,
  overlayDir,
  REPO_ROOT,
  type RepoConfig,
} from './layout';
import { type KubeObject, parseObjects } from './objects';
import {
  canaryServices,
  nodeServices,
  prApplicationSetName,
  readBaseFacts,
  type ServiceEntry,
  type ServiceFacts,
} from './services';

export interface PrApp {
  /** The service this is a PR canary of (its registry name). */
  kind: string;
  number: string;
  params: TemplateParams;
  app: Application;
  objects: KubeObject[];
}

/** An Application that is not per PR (plain, or from the production ApplicationSet) and what it applies. */
export interface StableApp {
  app: Application;
  objects: KubeObject[];
}

export interface Corpus {
  config: RepoConfig;
  overlays: Record<Environment, KubeObject[]>;
  argo: KubeObject[];
  prApps: PrApp[];
  stableApps: StableApp[];
  /** The ServiceFacts each Node service's base hands components/service (base/<name>/facts.yaml). */
  facts: Record<string, ServiceFacts[]>;
}

export const SAMPLE_PULL_REQUESTS = [
  { number: 7, headSha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', branch: 'feature/Items-Paging' },
  { number: 123456789, headSha: '0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6', branch: 'fix/store_timeouts' },
];

/**
 * Clusters the production ApplicationSet's cluster generator might see: EKS clusters are registered
 * under their ARN (not a valid Kubernetes name), hence `nameNormalized`.
 */
export const SAMPLE_PRODUCTION_CLUSTERS: TemplateParams[] = [
  {
    name: 'arn:aws:eks:eu-west-1:111122223333:cluster/pr-canary-prod-eu',
    nameNormalized: 'arn-aws-eks-eu-west-1-111122223333-cluster-pr-canary-prod-eu',
    server: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com',
  },
];

interface Generator {
  list?: { elements: TemplateParams[] };
  clusters?: unknown;
  matrix?: { generators: Generator[] };
}

/** Parameter sets of a matrix of cluster × list generators (the only generators stable apps use). */
function stableGeneratorParams(appSet: KubeObject): TemplateParams[] {
  const expand = (generator: Generator): TemplateParams[] => {
    if (generator.list) return generator.list.elements as TemplateParams[];
    if (generator.clusters) return SAMPLE_PRODUCTION_CLUSTERS;
    if (generator.matrix) {
      const [first, second] = generator.matrix.generators.map(expand);
      return (first ?? []).flatMap((a) => (second ?? []).map((b) => ({ ...a, ...b })));
    }
    throw new Error(`${appSet.metadata.name}: no offline stand-in for generator ${Object.keys(generator)}`);
  };
  return (appSet.spec.generators as Generator[]).flatMap(expand);
}

/** The Applications that are not per PR (plain, and the production ApplicationSet's), each built. */
export async function renderStableApps(argo: readonly KubeObject[]): Promise<StableApp[]> {
  const apps: Application[] = [
    ...argo.filter((o) => o.kind === 'Application').map((o) => o as unknown as Application),
    ...argo
      .filter((o) => o.kind === 'ApplicationSet')
      .filter(
        (o) => !(o.spec.generators ?? []).some((g: object) => JSON.stringify(g).includes('pullRequest')),
      )
      .flatMap((o) => stableGeneratorParams(o).map((params) => renderApplication(o, params))),
  ];
  return Promise.all(apps.map(async (app) => ({ app, objects: await buildApplication(app) })));
}

/**
 * What the git files generator adds for the record CI writes once a PR's image is pushed
 * (.github/scripts/deploy-record.mjs): the file's JSON plus `path`. The samples are records for
 * the head commit (CI has caught up).
 */
export async function deployRecordParams(
  pr: { number: number; headSha: string },
  service: string,
  sha = pr.headSha,
): Promise<TemplateParams> {
  const script = path.join(REPO_ROOT, '.github', 'scripts', 'deploy-record.mjs');
  const { deployRecord, recordPath } = (await import(pathToFileURL(script).href)) as {
    deployRecord(input: { pr: string; service: string; sha: string }): TemplateParams;
    recordPath(pr: string, service: string): string;
  };
  const file = recordPath(String(pr.number), service);
  return {
    ...deployRecord({ pr: String(pr.number), service, sha }),
    path: {
      path: path.dirname(file),
      basename: path.basename(path.dirname(file)),
      filename: path.basename(file),
    },
  };
}

function loadArgoObjects(): KubeObject[] {
  return argoCdFiles().flatMap((file) => parseObjects(readFileSync(file, 'utf8'), file));
}

export function applicationSet(argo: readonly KubeObject[], name: string): KubeObject {
  const found = argo.find((o) => o.kind === 'ApplicationSet' && o.metadata.name === name);
  if (found === undefined) throw new Error(`ApplicationSet ${name} not found in manifests/argocd`);
  return found;
}

/** The Application each PR ApplicationSet renders for each sample pull request, built (`services`: whose). */
export async function renderPrApps(
  argo: readonly KubeObject[],
  services: readonly ServiceEntry[] = canaryServices(),
  pulls = SAMPLE_PULL_REQUESTS,
): Promise<PrApp[]> {
  const jobs = pulls.flatMap((pr) =>
    services.map(async (service) => {
      const kind = service.name;
      const params = { ...pullRequestParams(pr), ...(await deployRecordParams(pr, kind)) };
      const app = renderApplication(applicationSet(argo, prApplicationSetName(service)), params);
      return { kind, number: String(pr.number), params, app, objects: await buildApplication(app) };
    }),
  );
  return Promise.all(jobs);
}

/** The overlay of one environment, built. */
export const renderOverlay = (env: Environment): Promise<KubeObject[]> => kustomizeBuild(overlayDir(env));

/** A Corpus of its rendered parts (plus config.yaml and the services' facts, read here). */
export function corpusOf(parts: Pick<Corpus, 'overlays' | 'argo' | 'prApps' | 'stableApps'>): Corpus {
  return {
    config: loadRepoConfig(),
    ...parts,
    facts: Object.fromEntries(nodeServices().map((service) => [service.name, readBaseFacts(service)])),
  };
}

/** Every part at once (the parts are exported for callers that render them a step at a time). */
export async function loadCorpus(): Promise<Corpus> {
  const argo = loadArgoObjects();
  const [overlays, prApps, stableApps] = await Promise.all([
    Promise.all(ENVIRONMENTS.map(async (env) => [env, await renderOverlay(env)] as const)),
    renderPrApps(argo),
    renderStableApps(argo),
  ]);
  return corpusOf({
    overlays: Object.fromEntries(overlays) as Record<Environment, KubeObject[]>,
    argo,
    prApps,
    stableApps,
  });
}
