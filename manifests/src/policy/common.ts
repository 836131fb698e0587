/** What every policy check shares: the context it runs on, its result, and the lookups several use. */
import { ROUTED_SERVICES, type RoutedService } from '@pr-canary/contracts/route-rule';
import type { Application } from '../argocd';
import type { Corpus } from '../corpus';
import type { ImageFacts } from '../image-facts';
import { ENVIRONMENTS } from '../layout';
import { containers, envOf, type KubeObject, labelsMatch, ofKind, podTemplate, ref } from '../objects';
import type { ServiceEnvContract } from '../service-config';

export interface Violation {
  subject: string;
  message: string;
}

export interface CheckContext {
  corpus: Corpus;
  /** What each Node service reads from its environment, by service name. */
  env: Record<string, ServiceEnvContract>;
  /** Metric name → label names, from canary-context's METRIC_DEFINITIONS. */
  metrics: ReadonlyMap<string, readonly string[]>;
  /** What each image's Dockerfile says (uid, ports, nginx listens, writable paths). */
  images: Record<string, ImageFacts>;
}

export type Check = (ctx: CheckContext) => Violation[];

export const violation = (subject: string, message: string): Violation => ({ subject, message });

/** Every rendered set that gets applied somewhere, with a label saying which. */
export function renders(corpus: Corpus): { where: string; objects: KubeObject[] }[] {
  return [
    ...ENVIRONMENTS.map((env) => ({ where: `overlay ${env}`, objects: corpus.overlays[env] })),
    ...corpus.prApps.map((p) => ({ where: `Application ${p.app.metadata.name}`, objects: p.objects })),
  ];
}

/** Application sources: plain Applications and ApplicationSet templates (unrendered). */
export function applicationSources(
  corpus: Corpus,
): { subject: string; spec: Application['spec']; isPr: boolean }[] {
  return corpus.argo.flatMap((o) => {
    if (o.kind === 'Application') return [{ subject: ref(o), spec: o.spec, isPr: false }];
    if (o.kind === 'ApplicationSet') {
      const isPr = generatorsOf(o, 'pullRequest').length > 0;
      return [{ subject: ref(o), spec: o.spec.template.spec, isPr }];
    }
    return [];
  });
}

interface GeneratorTree {
  pullRequest?: { github?: { owner?: string; repo?: string; labels?: string[] } };
  git?: { repoURL?: string; revision?: string; files?: { path: string }[] };
  matrix?: { generators?: GeneratorTree[] };
}

const allGenerators = (generators: GeneratorTree[] | undefined): GeneratorTree[] =>
  (generators ?? []).flatMap((g) => [g, ...allGenerators(g.matrix?.generators)]);

/** An ApplicationSet's generators of one kind (`pullRequest`, `git`), top-level or inside a matrix. */
export const generatorsOf = <Kind extends 'pullRequest' | 'git'>(o: KubeObject, kind: Kind) =>
  allGenerators(o.spec?.generators).flatMap((g) => {
    const generator = g[kind];
    return generator ? [generator as NonNullable<GeneratorTree[Kind]>] : [];
  });

export const isRoutedService = (kind: string): kind is RoutedService =>
  (ROUTED_SERVICES as readonly string[]).includes(kind);

export const containerEnv = (objects: readonly KubeObject[], deployment: string, container = deployment) =>
  objects
    .filter((o) => o.kind === 'Deployment' && o.metadata.name === deployment)
    .flatMap((o) =>
      containers(o)
        .filter((c) => c.name === container)
        .map((c) => ({ o, env: envOf(c) })),
    );

export function selectsPods(selectorOwner: KubeObject, objects: readonly KubeObject[]): boolean {
  const selector = selectorOwner.spec.selector?.matchLabels ?? selectorOwner.spec.selector;
  return objects.some(
    (w) =>
      w.metadata.namespace === selectorOwner.metadata.namespace &&
      labelsMatch(selector, podTemplate(w)?.metadata?.labels),
  );
}

export const exists = (objects: readonly KubeObject[], kind: string, name: string, namespace?: string) =>
  objects.some((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);

const hostOf = (match: string | undefined) => /Host\(`([^`]+)`\)/.exec(match ?? '')?.[1];

/** `https://host` / `http://host` for each route sending to `service` (websecure means TLS). */
export function edgeOrigins(objects: readonly KubeObject[], service: string): string[] {
  return ofKind(objects, 'IngressRoute').flatMap((o) => {
    const scheme = (o.spec.entryPoints ?? []).includes('websecure') ? 'https' : 'http';
    return (o.spec.routes ?? [])
      .filter((r: { services?: { name: string }[] }) => (r.services ?? []).some((s) => s.name === service))
      .flatMap((r: { match: string }) => {
        const host = hostOf(r.match);
        return host === undefined ? [] : [`${scheme}://${host}`];
      });
  });
}

/** An object's Argo CD sync wave (`argocd.argoproj.io/sync-wave`, 0 when unset). */
export const syncWave = (o: KubeObject): number =>
  Number.parseInt(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? '0', 10);
