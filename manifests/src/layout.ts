/** Where things are in manifests/, and the shared values every manifest is held to (config.yaml). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseYamlFile } from './objects';

export const MANIFESTS_DIR = path.resolve(__dirname, '..');
/** Argo CD source paths are relative to the repository root, the parent of manifests/. */
export const REPO_ROOT = path.dirname(MANIFESTS_DIR);

export const ENVIRONMENTS = ['production', 'staging', 'integration-001'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export interface RepoConfig {
  repoURL: string;
  github: { owner: string; repo: string };
  targetRevision: string;
  imageRegistry: string;
  stableNamespace: string;
  domains: Record<Environment, string>;
  /** The branch CI writes deploy/pr-<N>/<service>.json to (read by the PR ApplicationSets). */
  deployBranch: string;
}

export function loadRepoConfig(): RepoConfig {
  const config = parseYamlFile(readFileSync(path.join(MANIFESTS_DIR, 'config.yaml'), 'utf8')) as RepoConfig;
  for (const env of ENVIRONMENTS) {
    if (typeof config.domains?.[env] !== 'string') throw new Error(`config.yaml: domains.${env} is missing`);
  }
  if (!/^https:\/\/github\.com\/[^/]+\/[^/]+\.git$/.test(config.repoURL)) {
    throw new Error('config.yaml: repoURL must be https://github.com/<owner>/<repo>.git');
  }
  return config;
}

export const overlayDir = (env: Environment): string => path.join(MANIFESTS_DIR, 'overlays', env);

/** The component-combination scenarios under tests/ (each a kustomization built in CI). */
export function scenarioDirs(): string[] {
  const root = path.join(MANIFESTS_DIR, 'tests');
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(root, entry.name));
}

/** Argo CD's own configuration this repo ships (applied when installing Argo CD). */
export const ARGOCD_CM_FILE = path.join(MANIFESTS_DIR, 'argocd', 'install', 'argocd-cm.yaml');

export function argoCdFiles(): string[] {
  const root = path.join(MANIFESTS_DIR, 'argocd');
  return (
    readdirSync(root, { withFileTypes: true, recursive: true })
      .filter(
        (entry) => entry.isFile() && entry.name.endsWith('.yaml') && entry.name !== 'kustomization.yaml',
      )
      // install/ configures Argo CD itself (argocd-cm); it is applied by hand, not by an Application.
      .filter((entry) => path.basename(entry.parentPath) !== 'install')
      .map((entry) => path.join(entry.parentPath, entry.name))
  );
}
