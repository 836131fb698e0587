/**
 * What Argo CD admits, offline: an AppProject's destination and resource rules applied the way the
 * application controller applies them (argoproj/argo-cd `pkg/apis/application/v1alpha1/
 * app_project_types.go`: `isDestinationMatched`, `globMatch`, `IsGroupKindPermitted`,
 * `IsResourcePermitted`). Names and namespaces are matched with gobwas/glob (no separators, so `*`
 * also matches the empty string); a `!` prefix denies; an empty destination namespace is matched as
 * "" — which `apps` does not match (argo-cd#11510: InvalidSpecError). Group/kind lists use Go's
 * `filepath.Match`.
 */
import type { KubeObject } from './objects';

export interface ProjectDestination {
  name?: string;
  server?: string;
  namespace?: string;
}

interface GroupKind {
  group: string;
  kind: string;
}

export interface AppProjectSpec {
  destinations?: ProjectDestination[];
  clusterResourceWhitelist?: GroupKind[];
  clusterResourceBlacklist?: GroupKind[];
  namespaceResourceWhitelist?: GroupKind[];
  namespaceResourceBlacklist?: GroupKind[];
}

/** Argo CD's built-in `default` project: everything allowed (until an admin restricts it). */
export const DEFAULT_PROJECT: AppProjectSpec = {
  destinations: [{ server: '*', name: '*', namespace: '*' }],
  clusterResourceWhitelist: [{ group: '*', kind: '*' }],
};

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** gobwas/glob syntax without separators: `*`, `?`, `[abc]`, `[!a-z]`, `{a,b}`, `\` escapes. */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) out += escapeRegex(pattern[++i] as string);
    else if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`unclosed [ in glob ${pattern}`);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += escapeRegex(c);
  }
  if (depth > 0) throw new Error(`unclosed { in glob ${pattern}`);
  return new RegExp(`^${out}$`);
}

const isDeny = (pattern: string | undefined) => (pattern ?? '').startsWith('!');

/** argo-cd `globMatch(pattern, val, allowNegation=true)`. */
export function argoGlobMatch(pattern: string | undefined, value: string): boolean {
  const p = pattern ?? '';
  if (isDeny(p)) return !globToRegExp(p.slice(1)).test(value);
  if (p === '*') return true;
  return globToRegExp(p).test(value);
}

/**
 * argo-cd `isDestinationMatched`: some destination matches (server or name) and namespace; no deny
 * pattern fails. A destination given by cluster name has its server inferred from the cluster
 * secret before validation (`SetInferredServer`); offline that URL is unknown, so only a server
 * pattern matching every URL (`*`) counts as matching it.
 */
export function isDestinationMatched(project: AppProjectSpec, dst: ProjectDestination): boolean {
  let any = false;
  let noDeny = true;
  const inferredServer = (dst.server ?? '') === '' && (dst.name ?? '') !== '';
  for (const item of project.destinations ?? []) {
    const nameMatched = (dst.name ?? '') !== '' && argoGlobMatch(item.name, dst.name ?? '');
    const serverMatched = inferredServer
      ? item.server === '*'
      : (dst.server ?? '') !== '' && argoGlobMatch(item.server, dst.server ?? '');
    const nsMatched = argoGlobMatch(item.namespace, dst.namespace ?? '');
    if ((serverMatched || nameMatched) && nsMatched) any = true;
    else if (
      (!nameMatched && isDeny(item.name)) ||
      (!serverMatched && isDeny(item.server)) ||
      (!nsMatched && isDeny(item.namespace))
    ) {
      noDeny = false;
    }
  }
  return any && noDeny;
}

/** Go `filepath.Match` on a name without separators: `*`, `?`, `[...]` (with `^` or `!` negation). */
function filepathMatch(pattern: string, value: string): boolean {
  const re = pattern.replace(/\\(.)|([*?])|(\[[^\]]*\])|([^\\*?[]+)/g, (_m, esc, wild, cls, lit) => {
    if (esc !== undefined) return escapeRegex(esc);
    if (wild === '*') return '[\\s\\S]*';
    if (wild === '?') return '[\\s\\S]';
    if (cls !== undefined) return cls.replace(/^\[[!^]/, '[^');
    return escapeRegex(lit);
  });
  return new RegExp(`^${re}$`).test(value);
}

const inList = (gk: GroupKind, list: GroupKind[] | undefined) =>
  (list ?? []).some((item) => filepathMatch(item.kind, gk.kind) && filepathMatch(item.group, gk.group));

/** argo-cd `IsGroupKindPermitted`: a nil namespaced whitelist allows all; an empty cluster whitelist allows none. */
export function isGroupKindPermitted(project: AppProjectSpec, gk: GroupKind, namespaced: boolean): boolean {
  if (namespaced) {
    const white = project.namespaceResourceWhitelist;
    const whitelisted = white === undefined || (white.length > 0 && inList(gk, white));
    return whitelisted && !inList(gk, project.namespaceResourceBlacklist);
  }
  return inList(gk, project.clusterResourceWhitelist) && !inList(gk, project.clusterResourceBlacklist);
}

export const groupKind = (o: KubeObject): GroupKind => ({
  group: o.apiVersion.includes('/') ? (o.apiVersion.split('/')[0] ?? '') : '',
  kind: o.kind,
});
