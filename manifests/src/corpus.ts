/**
 * Everything the checks look at, rendered once: the three overlays, the Argo CD objects, and the
 * Applications the PR ApplicationSets generate for sample pull requests, built the way Argo CD
 * builds them. Checks take a Corpus so tests can hand them a deliberately broken copy.
 */
import { readFileSync } from 'node:fs';
import { type Application, buildApplication, pullRequestParams, renderApplication } from './argocd';
import type { TemplateParams } from './go-template';
import { kustomizeBuild } from './kustomize';
import {
  argoCdFiles,
  ENVIRONMENTS,
  type Environment,
  loadRepoConfig,
  overlayDir,
  type RepoConfig,
} from './layout';
import { type KubeObject, parseObjects } from './objects';

export type PrAppKind = 'api-service' | 'store-service' | 'store-route';

const PR_APPLICATION_SETS: Record<PrAppKind, string> = {
  'api-service': 'pr-canary-api-service',
  'store-service': 'pr-canary-store-service',
  'store-route': 'pr-canary-store-route',
};

export interface PrApp {
  kind: PrAppKind;
  number: string;
  params: TemplateParams;
  app: Application;
  objects: KubeObject[];
}

export interface Corpus {
  config: RepoConfig;
  overlays: Record<Environment, KubeObject[]>;
  argo: KubeObject[];
  prApps: PrApp[];
}

export const SAMPLE_PULL_REQUESTS = [
  { number: 7, headSha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', branch: 'feature/Items-Paging' },
  { number: 123456789, headSha: '0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6', branch: 'fix/store_timeouts' },
];

function loadArgoObjects(): KubeObject[] {
  return argoCdFiles().flatMap((file) => parseObjects(readFileSync(file, 'utf8'), file));
}

export function applicationSet(argo: readonly KubeObject[], name: string): KubeObject {
  const found = argo.find((o) => o.kind === 'ApplicationSet' && o.metadata.name === name);
  if (found === undefined) throw new Error(`ApplicationSet ${name} not found in manifests/argocd`);
  return found;
}

async function renderPrApps(argo: readonly KubeObject[], pulls = SAMPLE_PULL_REQUESTS): Promise<PrApp[]> {
  const jobs = pulls.flatMap((pr) =>
    (Object.keys(PR_APPLICATION_SETS) as PrAppKind[]).map(async (kind) => {
      const params = pullRequestParams(pr);
      const app = renderApplication(applicationSet(argo, PR_APPLICATION_SETS[kind]), params);
      return { kind, number: String(pr.number), params, app, objects: await buildApplication(app) };
    }),
  );
  return Promise.all(jobs);
}

export async function loadCorpus(): Promise<Corpus> {
  const argo = loadArgoObjects();
  const [overlays, prApps] = await Promise.all([
    Promise.all(ENVIRONMENTS.map(async (env) => [env, await kustomizeBuild(overlayDir(env))] as const)),
    renderPrApps(argo),
  ]);
  return {
    config: loadRepoConfig(),
    overlays: Object.fromEntries(overlays) as Record<Environment, KubeObject[]>,
    argo,
    prApps,
  };
}
