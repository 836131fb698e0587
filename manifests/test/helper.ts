/** Shared fixtures: the rendered corpus (once per test file) and helpers to break a copy of it. */
import path from 'node:path';
import { inject } from 'vitest';
import type { CheckContext } from '../src/checks';
import { loadCheckContext } from '../src/context';
import type { PrApp } from '../src/corpus';
import { type CrdIndex, indexCrds } from '../src/crd-validation';
import { CrdsUnavailableError } from '../src/crds';
import { kustomizeBuild } from '../src/kustomize';
import { MANIFESTS_DIR } from '../src/layout';
import type { KubeObject } from '../src/objects';

let context: Promise<CheckContext> | undefined;

/** The real manifests, rendered and built the way Argo CD would (by test/global-setup.ts). */
export function realContext(): Promise<CheckContext> {
  context ??= loadCheckContext(inject('corpus'));
  return context;
}

const renders = new Map<string, Promise<KubeObject[]>>();

/**
 * `kubectl kustomize manifests/<relDir>` of the real tree, built once for every test file of this
 * workspace (they share one worker) and handed out as a copy each time, so a test can break its own.
 */
export async function renderedSource(relDir: string): Promise<KubeObject[]> {
  let render = renders.get(relDir);
  if (render === undefined) {
    render = kustomizeBuild(path.join(MANIFESTS_DIR, relDir));
    renders.set(relDir, render);
  }
  return structuredClone(await render);
}

let crds: CrdIndex | undefined;

/**
 * The upstream CRDs read by test/global-setup.ts, indexed for validation. Throws (failing the
 * test, with a message naming the fetch script) where ../shared/crds is missing or differs.
 */
export function crdIndex(): CrdIndex {
  if (crds === undefined) {
    const provided = inject('crds');
    if ('unavailable' in provided) throw new CrdsUnavailableError(provided.unavailable);
    crds = indexCrds(provided.versions);
  }
  return crds;
}

/** A deep copy of the context, so a test can break it without touching the others. */
export async function brokenCopy(mutate: (ctx: CheckContext) => void): Promise<CheckContext> {
  const real = await realContext();
  const copy: CheckContext = {
    ...real,
    corpus: structuredClone(real.corpus),
    images: structuredClone(real.images),
  };
  mutate(copy);
  return copy;
}

export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`test fixture: ${kind} ${name} not found`);
  return found;
}

export function prApp(ctx: CheckContext, kind: string, index = 0): PrApp {
  const found = ctx.corpus.prApps.filter((p) => p.kind === kind)[index];
  if (found === undefined) throw new Error(`test fixture: no ${kind} PR app #${index}`);
  return found;
}

export function container(o: KubeObject, name = o.metadata.name) {
  const found = o.spec.template.spec.containers.find((c: { name: string }) => c.name === name);
  if (found === undefined) throw new Error(`test fixture: container ${name} not found in ${o.metadata.name}`);
  return found;
}

export function setEnv(
  o: KubeObject,
  name: string,
  value: string | undefined,
  containerName = o.metadata.name,
): void {
  const c = container(o, containerName);
  c.env = c.env.filter((e: { name: string }) => e.name !== name);
  if (value !== undefined) c.env.push({ name, value });
}
