/** PR canaries: owned, guarded namespaces, immutable images, isolation from stable, own data. */
import { canaryNamespace } from '@pr-canary/contracts/route-rule';
import type { PrApp } from '../corpus';
import { ENVIRONMENTS } from '../layout';
import { containers, envOf, ofKind, ref } from '../objects';
import { serviceOf, tableServices } from '../services';
import { type Check, containerEnv, isRoutedService, type Violation, violation } from './common';

/** A PR app owns its namespace, and that namespace has quota, limits and default-deny policies. */
export const prNamespaceGuardrails: Check = ({ corpus }) =>
  corpus.prApps.flatMap((p) => {
    if (!isRoutedService(p.kind)) return [];
    const ns = canaryNamespace(p.kind, p.number);
    const subject = `Application ${p.app.metadata.name}`;
    const inNs = p.objects.filter((o) => o.metadata.namespace === ns);
    const out: Violation[] = [];
    if (p.app.spec.destination.namespace !== ns)
      out.push(violation(subject, `destination namespace should be ${ns}`));
    if (!p.objects.some((o) => o.kind === 'Namespace' && o.metadata.name === ns)) {
      out.push(violation(subject, `does not own its Namespace ${ns} (closing the PR would leave it behind)`));
    }
    if (ofKind(inNs, 'ResourceQuota').length === 0) out.push(violation(subject, `no ResourceQuota in ${ns}`));
    if (ofKind(inNs, 'LimitRange').length === 0) out.push(violation(subject, `no LimitRange in ${ns}`));
    const denyAll = ofKind(inNs, 'NetworkPolicy').some(
      (np) =>
        Object.keys(np.spec.podSelector?.matchLabels ?? {}).every((k) => k === 'pr-canary.dev/pr') &&
        ['Ingress', 'Egress'].every((t) => (np.spec.policyTypes ?? []).includes(t)) &&
        np.spec.ingress === undefined &&
        np.spec.egress === undefined,
    );
    if (!denyAll) out.push(violation(subject, `no default-deny (ingress and egress) NetworkPolicy in ${ns}`));
    return out;
  });

const prTag = (p: PrApp) => {
  const record = p.params.deployable;
  return typeof record === 'object' && typeof record.tag === 'string' ? record.tag : '(no deploy record)';
};

/**
 * Every recorded push rolls out: our images in PR apps carry the immutable pr-<N>-<8 hex> tag CI
 * recorded as deployable (never a tag computed from the head SHA, which may not be pushed yet).
 */
export const immutablePrImages: Check = ({ corpus }) =>
  corpus.prApps.flatMap((p) =>
    p.objects.flatMap((o) =>
      containers(o)
        .filter((c) => c.image.startsWith(`${corpus.config.imageRegistry}/`))
        .filter(
          (c) =>
            !c.image.endsWith(`:${prTag(p)}`) || !new RegExp(`:pr-${p.number}-[0-9a-f]{8}$`).test(c.image),
        )
        .map((c) => violation(ref(o), `image ${c.image} is not the deployable immutable ${prTag(p)} tag`)),
    ),
  );

/** A PR app never writes into the stable namespace under a stable object's name. */
export const prIsolation: Check = ({ corpus }) => {
  const stable = corpus.overlays['integration-001'];
  const stableIds = new Set(stable.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`));
  return corpus.prApps.flatMap((p) =>
    p.objects
      .filter((o) => o.metadata.namespace === corpus.config.stableNamespace)
      .flatMap((o) => {
        const out: Violation[] = [];
        if (stableIds.has(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)) {
          out.push(violation(ref(o), `PR app ${p.app.metadata.name} would take over the stable ${o.kind}`));
        }
        if (!o.metadata.name.endsWith(`-pr-${p.number}`)) {
          out.push(
            violation(
              ref(o),
              `objects a PR app puts in ${o.metadata.namespace} must be named *-pr-${p.number}`,
            ),
          );
        }
        return out;
      }),
  );
};

/**
 * A canary never shares the stable data: every service with a table (the registry's `table`) uses
 * that table in stable, and in a PR canary its own, `<table>-pr-<N>`, which the same Application
 * drops when the PR closes.
 */
export const separateTables: Check = ({ corpus }) =>
  tableServices().flatMap((service) => {
    const stableTables = new Set(
      ENVIRONMENTS.flatMap((env) =>
        containerEnv(corpus.overlays[env], service.name).map((e) => e.env.DYNAMODB_TABLE),
      ),
    );
    const stable = [...stableTables]
      .filter((table) => table !== service.table)
      .map((table) =>
        violation(
          `Deployment ${service.name}`,
          `stable table ${table} is not the registry's ${service.table}`,
        ),
      );
    return [
      ...stable,
      ...corpus.prApps
        .filter((p) => p.kind === service.name)
        .flatMap((p) =>
          containerEnv(p.objects, service.name).flatMap(({ o, env }) => {
            const table = env.DYNAMODB_TABLE;
            if (table === undefined) return [violation(ref(o), 'no DYNAMODB_TABLE')];
            if (stableTables.has(table))
              return [violation(ref(o), `canary shares the stable table ${table}`)];
            if (table !== `${service.table}-pr-${p.number}`)
              return [
                violation(ref(o), `table ${table} is not this PR's own, ${service.table}-pr-${p.number}`),
              ];
            // The same Application: a cleanup owned by another app could run while this one still lives.
            const cleanupJob = p.objects.find(
              (j) => j.kind === 'Job' && j.metadata.annotations?.['argocd.argoproj.io/hook'] === 'PostDelete',
            );
            const cleaned = cleanupJob && containers(cleanupJob).some((c) => envOf(c).TABLE_NAME === table);
            return cleaned
              ? []
              : [violation(ref(o), `no PostDelete cleanup deletes ${table} when the PR closes`)];
          }),
        ),
    ];
  });

/** PostDelete hooks run in a namespace that outlives the app (argo-cd#24924). */
export const hookNamespace: Check = ({ corpus }) =>
  corpus.prApps.flatMap((p) =>
    p.objects
      .filter((o) => o.metadata.annotations?.['argocd.argoproj.io/hook'] === 'PostDelete')
      .filter(
        (o) =>
          /-canary-pr-[0-9]+$/.test(o.metadata.namespace ?? '') ||
          p.objects.some((n) => n.kind === 'Namespace' && n.metadata.name === o.metadata.namespace),
      )
      .map((o) => violation(ref(o), 'PostDelete hook runs in a namespace deleted with the PR')),
  );

/**
 * Outside its own namespace a PR app writes only objects named for its PR: a mesh service's
 * GRPCRoute <name>-pr-N in the stable namespace, and a service with a table its cleanup Job
 * dynamodb-table-cleanup-pr-N in pr-canary-system (its project could let it write more there).
 */
export const prSharedNamespaces: Check = ({ corpus }) =>
  corpus.prApps.flatMap((p) => {
    const own = isRoutedService(p.kind) ? canaryNamespace(p.kind, p.number) : undefined;
    const service = serviceOf(p.kind);
    const allowed = new Set([
      ...(service?.hop === 'mesh'
        ? [`GRPCRoute/${corpus.config.stableNamespace}/${service.name}-pr-${p.number}`]
        : []),
      ...(service?.table === undefined ? [] : [`Job/pr-canary-system/dynamodb-table-cleanup-pr-${p.number}`]),
    ]);
    return p.objects
      .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== own)
      .filter((o) => !allowed.has(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`))
      .map((o) =>
        violation(
          ref(o),
          `PR app ${p.app.metadata.name} may write outside ${own} only its own GRPCRoute and cleanup Job`,
        ),
      );
  });
