/** Argo CD: the repo, the Kustomize options, revisions, sync policy, and what Flagger owns. */
import { ARGO_KUSTOMIZE_OPTIONS } from '../argocd';
import { ref } from '../objects';
import { canaryLabel, canaryServices, prApplicationSetName } from '../services';
import { applicationSources, type Check, generatorsOf, type Violation, violation } from './common';

/** Wrong or truncated repo: every source, generator and project names the one canonical repo. */
export const repoUrl: Check = ({ corpus }) => {
  const { repoURL, github } = corpus.config;
  const out: Violation[] = [];
  for (const { subject, spec } of applicationSources(corpus)) {
    if (spec.source.repoURL !== repoURL)
      out.push(violation(subject, `repoURL ${spec.source.repoURL} is not ${repoURL}`));
  }
  for (const o of corpus.argo) {
    for (const pr of generatorsOf(o, 'pullRequest')) {
      if (pr.github?.owner !== github.owner || pr.github?.repo !== github.repo) {
        out.push(
          violation(
            ref(o),
            `pull request generator watches ${pr.github?.owner}/${pr.github?.repo}, not ${github.owner}/${github.repo}`,
          ),
        );
      }
    }
    for (const git of generatorsOf(o, 'git')) {
      if (git.repoURL !== repoURL || git.revision !== corpus.config.deployBranch) {
        out.push(
          violation(
            ref(o),
            `git generator reads ${git.repoURL}@${git.revision}, not the deploy records on ${repoURL}@${corpus.config.deployBranch}`,
          ),
        );
      }
    }
    if (o.kind === 'AppProject' && JSON.stringify(o.spec.sourceRepos) !== JSON.stringify([repoURL])) {
      out.push(violation(ref(o), `sourceRepos must be exactly [${repoURL}]`));
    }
  }
  return out;
};

/** Only the Kustomize options Argo CD has (there is no `resources`, for one). */
export const argoKustomizeOptions: Check = ({ corpus }) =>
  applicationSources(corpus).flatMap(({ subject, spec }) =>
    Object.keys(spec.source.kustomize ?? {})
      .filter((key) => !(ARGO_KUSTOMIZE_OPTIONS as readonly string[]).includes(key))
      .map((key) => violation(subject, `Argo CD has no Kustomize option "${key}"`)),
  );

/**
 * Every app renders manifests from the protected branch. PR apps too: what a PR controls is only
 * its image tag (from CI's deploy record), so a labelled PR cannot ship an IngressRoute without the
 * header, a Job running as the table janitor, or unreviewed manifest changes on later pushes.
 */
export const targetRevision: Check = ({ corpus }) =>
  applicationSources(corpus).flatMap(({ subject, spec, isPr }) => {
    const expected = corpus.config.targetRevision;
    if (spec.source.targetRevision === expected) return [];
    const why = isPr ? " (a PR revision would let PR-controlled manifests deploy with main's rights)" : '';
    return [violation(subject, `targetRevision ${spec.source.targetRevision} should be ${expected}${why}`)];
  });

/**
 * Every app syncs itself (automated prune and self-heal) and renders its Namespace rather than
 * relying on CreateNamespace=true. (PR apps' cascade finalizer is held by pr-applicationsets.test.ts.)
 */
export const automatedSync: Check = ({ corpus }) =>
  applicationSources(corpus).flatMap(({ subject, spec }) => {
    const automated = spec.syncPolicy?.automated;
    const out: Violation[] = [];
    if (automated?.prune !== true || automated?.selfHeal !== true) {
      out.push(violation(subject, 'syncPolicy.automated must set prune and selfHeal'));
    }
    if ((spec.syncPolicy?.syncOptions ?? []).includes('CreateNamespace=true')) {
      out.push(
        violation(
          subject,
          'CreateNamespace=true namespaces are never deleted (argo-cd#7875); render a Namespace',
        ),
      );
    }
    return out;
  });

/** Flagger scales the Deployments it manages; Argo CD must not put the replicas back. */
export const flaggerOwnedFields: Check = ({ corpus }) => {
  const appSet = corpus.argo.find(
    (o) => o.kind === 'ApplicationSet' && o.metadata.name === 'pr-canary-production',
  );
  if (appSet === undefined) return [violation('ApplicationSet pr-canary-production', 'missing')];
  const spec = appSet.spec.template.spec;
  const ignoresReplicas = (spec.ignoreDifferences ?? []).some(
    (d: { group?: string; kind?: string; jsonPointers?: string[] }) =>
      d.group === 'apps' && d.kind === 'Deployment' && (d.jsonPointers ?? []).includes('/spec/replicas'),
  );
  const out: Violation[] = [];
  if (!ignoresReplicas)
    out.push(violation(ref(appSet), 'must ignore Deployment /spec/replicas (Flagger owns it)'));
  if (!(spec.syncPolicy?.syncOptions ?? []).includes('RespectIgnoreDifferences=true')) {
    out.push(
      violation(
        ref(appSet),
        'needs RespectIgnoreDifferences=true or sync still overwrites the ignored fields',
      ),
    );
  }
  return out;
};

/**
 * Every automated app retries a failed sync a bounded number of times with backoff: without it one
 * failed first sync (platform namespaces not there yet, a webhook not ready) waits for the next Git
 * change (argo-cd docs/user-guide/auto_sync.md), and `limit: -1` retries forever.
 */
export const syncRetry: Check = ({ corpus }) =>
  applicationSources(corpus).flatMap(({ subject, spec }) => {
    if (spec.syncPolicy?.automated === undefined) return [];
    const retry = spec.syncPolicy.retry;
    const limit = Number(retry?.limit);
    const backoff = retry?.backoff ?? {};
    if (retry === undefined) return [violation(subject, 'automated sync without syncPolicy.retry')];
    const out: Violation[] = [];
    if (!Number.isInteger(limit) || limit < 1 || limit > 20)
      out.push(violation(subject, `retry.limit ${retry.limit} is not a bounded retry (1..20)`));
    if (!backoff.duration || !(Number(backoff.factor) >= 2) || !backoff.maxDuration)
      out.push(violation(subject, 'retry.backoff needs duration, factor >= 2 and maxDuration'));
    return out;
  });

/**
 * Every service the registry canaries has its PR ApplicationSet (pr-canary-<name>), selecting PRs by
 * exactly its label (`canary/<name>`, which CI adds from the changed paths; the generator needs
 * every label it lists) and reading its own deploy record (deploy/pr-<N>/<name>.json); and no PR
 * ApplicationSet exists for a service the registry does not canary.
 */
export const prApplicationSets: Check = ({ corpus }) => {
  const out: Violation[] = [];
  const expected = new Map(canaryServices().map((service) => [prApplicationSetName(service), service]));
  for (const o of corpus.argo.filter(
    (a) => a.kind === 'ApplicationSet' && generatorsOf(a, 'pullRequest').length > 0,
  )) {
    const service = expected.get(o.metadata.name);
    if (service === undefined) {
      out.push(violation(ref(o), 'is the PR ApplicationSet of no service the registry canaries'));
      continue;
    }
    const labels = generatorsOf(o, 'pullRequest').map((pr) => JSON.stringify(pr.github?.labels ?? []));
    const label = JSON.stringify([canaryLabel(service)]);
    if (labels.length !== 1 || labels[0] !== label)
      out.push(violation(ref(o), `selects PRs labelled ${labels.join(' / ')}, not ${label}`));
    const files = generatorsOf(o, 'git').flatMap((git) => (git.files ?? []).map((f) => f.path));
    const record = `deploy/pr-{{.number}}/${service.name}.json`;
    if (JSON.stringify(files) !== JSON.stringify([record]))
      out.push(violation(ref(o), `reads the deploy records ${files.join(', ') || '(none)'}, not ${record}`));
  }
  for (const [name] of expected) {
    if (!corpus.argo.some((a) => a.kind === 'ApplicationSet' && a.metadata.name === name))
      out.push(violation(`ApplicationSet ${name}`, 'missing: the registry canaries its service'));
  }
  return out;
};
