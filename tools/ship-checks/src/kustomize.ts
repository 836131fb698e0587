import { parseAllDocuments } from 'yaml';
import { repoPath } from './repo';
import { run } from './tools';

/** One rendered Kubernetes object (only the fields every object has are typed). */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: callers narrow the spec of the kind they read
  spec?: any;
}

const rendered = new Map<string, RenderedObject[]>();

/**
 * The objects `kubectl kustomize <dir>` renders (dir relative to the repository root), as Argo CD
 * applies them: facts live in shared components and replacements, so checks read the rendered
 * output, never one file of it. Cached per directory (the tree does not change during a run).
 */
export function renderKustomization(dir: string): RenderedObject[] {
  const cached = rendered.get(dir);
  if (cached) return cached;
  const result = run('kubectl', ['kustomize', repoPath(dir)]);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr.trim()}`);
  const objects = parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as RenderedObject | null)
    .filter((object): object is RenderedObject => object !== null);
  rendered.set(dir, objects);
  return objects;
}

/** The one object of `kind` (and `name`, if given) `dir` renders; an error names what was found instead. */
export function renderedObject<T = RenderedObject>(dir: string, kind: string, name?: string): T {
  const objects = renderKustomization(dir);
  const matches = objects.filter(
    (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
  );
  if (matches.length !== 1) {
    const found = objects.map((object) => `${object.kind}/${object.metadata.name}`).join(', ');
    throw new Error(`${dir} renders ${matches.length} ${kind}${name ? `/${name}` : ''} (renders: ${found})`);
  }
  return matches[0] as T;
}
