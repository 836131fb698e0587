/**
 * Offline stand-in for the two things Argo CD does with our ApplicationSets: render an Application
 * per pull request (Go templates, `missingkey=error`), and build its source with the Kustomize
 * options applied the way the repo server applies them (it edits the source kustomization.yaml
 * in a scratch copy: `kustomize edit set namespace|nameprefix|namesuffix|image|replicas`,
 * `edit add label|annotation|component`, and appends `patches`), then fills the destination
 * namespace into namespaced objects that have none.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { renderTemplateTree, type TemplateParams } from './go-template';
import { kustomizeBuild } from './kustomize';
import { MANIFESTS_DIR } from './layout';
import { isClusterScoped, type KubeObject, parseYamlFile } from './objects';

/** The only Kustomize options an Argo CD Application source has (REFERENCE.md). */
export const ARGO_KUSTOMIZE_OPTIONS = [
  'namePrefix',
  'nameSuffix',
  'images',
  'replicas',
  'commonLabels',
  'commonAnnotations',
  'namespace',
  'patches',
  'components',
] as const;

export interface KustomizeOptions {
  namePrefix?: string;
  nameSuffix?: string;
  namespace?: string;
  images?: string[];
  replicas?: { name: string; count: number }[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  patches?: { path?: string; patch?: string; target?: Record<string, string> }[];
  components?: string[];
}

export interface ApplicationSource {
  repoURL: string;
  targetRevision: string;
  path: string;
  kustomize?: KustomizeOptions;
}

export interface Application {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Application';
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec: {
    project: string;
    source: ApplicationSource;
    destination: { name?: string; server?: string; namespace?: string };
    // biome-ignore lint/suspicious/noExplicitAny: read field by field by the checks.
    syncPolicy?: any;
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    ignoreDifferences?: any[];
  };
}

export class ArgoCdError extends Error {
  override name = 'ArgoCdError';
}

/** The parameters the GitHub Pull Request generator provides (all strings, `number` too). */
export function pullRequestParams(pr: { number: number; headSha: string; branch: string }): TemplateParams {
  const slug = pr.branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 50);
  return {
    number: String(pr.number),
    branch: pr.branch,
    branch_slug: slug,
    target_branch: 'main',
    head_sha: pr.headSha,
    head_short_sha: pr.headSha.slice(0, 8),
    head_short_sha_7: pr.headSha.slice(0, 7),
    title: `PR ${pr.number}`,
    author: 'octocat',
  };
}

/** Renders the ApplicationSet's template for one generator parameter set, as the controller does. */
// biome-ignore lint/suspicious/noExplicitAny: an ApplicationSet as parsed from YAML.
export function renderApplication(appSet: any, params: TemplateParams): Application {
  if (appSet?.spec?.goTemplate !== true)
    throw new ArgoCdError(`${appSet?.metadata?.name}: goTemplate must be true`);
  if (!(appSet.spec.goTemplateOptions ?? []).includes('missingkey=error')) {
    throw new ArgoCdError(`${appSet.metadata.name}: goTemplateOptions must include missingkey=error`);
  }
  const template = renderTemplateTree(appSet.spec.template, params);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { ...template.metadata, namespace: appSet.metadata.namespace },
    spec: template.spec,
  };
}

/** Applies Argo CD's Kustomize options to a kustomization document (a copy is returned). */
export function applyKustomizeOptions(
  kustomization: Record<string, unknown>,
  options: KustomizeOptions,
): Record<string, unknown> {
  const unknown = Object.keys(options).filter(
    (key) => !(ARGO_KUSTOMIZE_OPTIONS as readonly string[]).includes(key),
  );
  if (unknown.length > 0) throw new ArgoCdError(`Argo CD has no Kustomize option ${unknown.join(', ')}`);
  const result: Record<string, unknown> = structuredClone(kustomization);
  if (options.namePrefix !== undefined) result.namePrefix = options.namePrefix;
  if (options.nameSuffix !== undefined) result.nameSuffix = options.nameSuffix;
  if (options.namespace !== undefined) result.namespace = options.namespace;
  if (options.commonLabels)
    result.commonLabels = { ...(result.commonLabels as object), ...options.commonLabels };
  if (options.commonAnnotations) {
    result.commonAnnotations = { ...(result.commonAnnotations as object), ...options.commonAnnotations };
  }
  if (options.images) result.images = upsertImages((result.images ?? []) as KustomizeImage[], options.images);
  if (options.replicas) result.replicas = [...((result.replicas ?? []) as unknown[]), ...options.replicas];
  if (options.patches) result.patches = [...((result.patches ?? []) as unknown[]), ...options.patches];
  if (options.components)
    result.components = [...((result.components ?? []) as unknown[]), ...options.components];
  return result;
}

interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** `kustomize edit set image` semantics for `name[=newName][:tag|@digest]`. */
export function parseImageOverride(spec: string): KustomizeImage {
  const [name, replacement] = spec.includes('=')
    ? (spec.split('=', 2) as [string, string])
    : [undefined, spec];
  const digestAt = replacement.indexOf('@');
  const tagColon = replacement.lastIndexOf(':');
  const image: KustomizeImage = { name: '' };
  let ref = replacement;
  if (digestAt >= 0) {
    image.digest = replacement.slice(digestAt + 1);
    ref = replacement.slice(0, digestAt);
  } else if (tagColon > replacement.lastIndexOf('/')) {
    image.newTag = replacement.slice(tagColon + 1);
    ref = replacement.slice(0, tagColon);
  }
  image.name = name ?? ref;
  if (name !== undefined) image.newName = ref;
  return image;
}

function upsertImages(existing: KustomizeImage[], overrides: string[]): KustomizeImage[] {
  const images = [...existing];
  for (const override of overrides) {
    const image = parseImageOverride(override);
    const index = images.findIndex((i) => i.name === image.name);
    if (index >= 0) images[index] = image;
    else images.push(image);
  }
  return images;
}

/**
 * Builds what Argo CD would apply for an Application whose source is this repository: a scratch
 * copy of manifests/, the options written into the source kustomization, `kubectl kustomize`, and
 * the destination namespace filled in.
 */
export async function buildApplication(app: Application): Promise<KubeObject[]> {
  const { source, destination } = app.spec;
  const scratch = mkdtempSync(path.join(tmpdir(), 'argocd-source-'));
  try {
    cpSync(MANIFESTS_DIR, path.join(scratch, 'manifests'), {
      recursive: true,
      filter: (src) => !/[\\/](node_modules|test|src|\.scratch)$/.test(src),
    });
    const sourceDir = path.join(scratch, source.path);
    if (!sourceDir.startsWith(path.join(scratch, 'manifests'))) {
      throw new ArgoCdError(`${app.metadata.name}: source path ${source.path} is outside manifests/`);
    }
    if (source.kustomize) {
      const file = path.join(sourceDir, 'kustomization.yaml');
      const kustomization = parseYamlFile(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, stringify(applyKustomizeOptions(kustomization, source.kustomize)));
    }
    const objects = await kustomizeBuild(sourceDir);
    return objects.map((o) =>
      isClusterScoped(o) || o.metadata.namespace !== undefined || destination.namespace === undefined
        ? o
        : { ...o, metadata: { ...o.metadata, namespace: destination.namespace } },
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
