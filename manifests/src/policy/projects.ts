/** Argo CD admission: every Application lands only where its AppProject lets it (src/argo-project.ts). */
import {
  type AppProjectSpec,
  DEFAULT_PROJECT,
  groupKind,
  isDestinationMatched,
  isGroupKindPermitted,
} from '../argo-project';
import type { Application } from '../argocd';
import { isClusterScoped, type KubeObject, ofKind, ref } from '../objects';
import { type Check, syncWave, type Violation, violation } from './common';

/**
 * The Application's destination (server or name, and namespace — "" when unset) is matched by its
 * project, and so is every object its source renders: cluster-scoped kinds against the cluster
 * whitelist, namespaced kinds against the namespaced lists and their namespace against the
 * destinations (on the Application's cluster). Covers plain Applications, the production
 * ApplicationSet for sample clusters and the PR ApplicationSets for sample PRs.
 */
export const projectPermissions: Check = ({ corpus }) => {
  const projects = new Map<string, AppProjectSpec>([['default', DEFAULT_PROJECT]]);
  for (const o of corpus.argo) if (o.kind === 'AppProject') projects.set(o.metadata.name, o.spec);
  const apps: { app: Application; objects: KubeObject[] }[] = [...corpus.stableApps, ...corpus.prApps];
  return apps.flatMap(({ app, objects }) => {
    const subject = `Application ${app.metadata.name}`;
    const project = projects.get(app.spec.project);
    if (project === undefined) return [violation(subject, `AppProject ${app.spec.project} does not exist`)];
    const { name, server, namespace } = app.spec.destination;
    const out: Violation[] = [];
    if (!isDestinationMatched(project, { name, server, namespace: namespace ?? '' })) {
      out.push(
        violation(
          subject,
          `destination ${name ?? server}/${namespace ?? '""'} is not permitted by AppProject ${app.spec.project} (InvalidSpecError; an empty namespace is matched as "", argo-cd#11510)`,
        ),
      );
    }
    for (const o of objects) {
      const gk = groupKind(o);
      const namespaced = !isClusterScoped(o);
      const kind = `${gk.group || 'core'}/${gk.kind}`;
      if (!isGroupKindPermitted(project, gk, namespaced)) {
        out.push(
          violation(
            ref(o),
            `${namespaced ? 'namespaced' : 'cluster-scoped'} ${kind} from ${subject} is not permitted by AppProject ${app.spec.project}`,
          ),
        );
      }
      if (
        namespaced &&
        !isDestinationMatched(project, { name, server, namespace: o.metadata.namespace ?? '' })
      ) {
        out.push(
          violation(
            ref(o),
            `namespace ${o.metadata.namespace ?? '""'} of ${kind} from ${subject} is not a destination of AppProject ${app.spec.project}`,
          ),
        );
      }
    }
    return out;
  });
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Every generated Application has a valid object name (DNS-1123 subdomain). Cluster names from the
 * cluster generator are ARNs on EKS, so templates use `{{.nameNormalized}}`.
 */
export const applicationNames: Check = ({ corpus }) =>
  [...corpus.stableApps, ...corpus.prApps]
    .map(({ app }) => app.metadata.name)
    .filter((name) => name.length > 253 || !DNS_SUBDOMAIN.test(name))
    .map((name) =>
      violation(
        `Application ${name}`,
        'is not a valid object name (use {{.nameNormalized}} for cluster names)',
      ),
    );

/**
 * The root app (manifests/argocd) creates every AppProject in an earlier sync wave than each
 * Application and ApplicationSet that names it. An Application whose project does not exist yet
 * has health Unknown, the restored Application health check (install/argocd-cm.yaml) passes that
 * through, and the root app's multi-wave sync waits at that wave forever.
 */
export const projectWaves: Check = ({ corpus }) => {
  const projects = new Map(ofKind(corpus.argo, 'AppProject').map((p) => [p.metadata.name, p]));
  return corpus.argo.flatMap((o) => {
    const project =
      o.kind === 'Application'
        ? o.spec.project
        : o.kind === 'ApplicationSet'
          ? o.spec.template?.spec?.project
          : undefined;
    const defined = projects.get(project);
    if (defined === undefined || syncWave(o) > syncWave(defined)) return [];
    return [
      violation(
        ref(o),
        `sync wave ${syncWave(o)} is not after its AppProject ${project}'s (${syncWave(defined)}): created before its project, it stays health Unknown and the root app's sync never leaves that wave`,
      ),
    ];
  });
};
