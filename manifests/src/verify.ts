/**
 * The manifests checks as functions that return what is wrong ([] when nothing is), for this
 * workspace's tests and for a copy of the repository (the scaffold test in tools/new-service imports
 * the copy's `manifests/src/verify.ts`, so every path below is the copy's): a kustomization built by
 * `kubectl kustomize` with no template leftover and every patch landing, rendered objects against
 * their schemas, the platform's admission policies on what PR apps render, yamllint, and the
 * corpus, context and policy checks they run on.
 */
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { type AdmissionRequest, admit } from './admission';
import type { PrApp } from './corpus';
import type { CrdIndex } from './crd-validation';
import { kustomizeBuild } from './kustomize';
import { MANIFESTS_DIR } from './layout';
import { type KubeObject, ref } from './objects';
import { unmatchedPatches } from './patch-targets';
import { reliedFieldErrors } from './relied-fields';
import { schemaErrors } from './schemas';

export { CHECKS } from './checks';
export { loadCheckContext } from './context';
export {
  corpusOf,
  loadCorpus,
  renderOverlay,
  renderPrApps,
  renderStableApps,
  SAMPLE_PULL_REQUESTS,
} from './corpus';
export { indexCrds } from './crd-validation';
export { loadCrdVersions } from './crds';
export { kustomizeBuild } from './kustomize';
export { ENVIRONMENTS, MANIFESTS_DIR, scenarioDirs } from './layout';
export { unmatchedPatches } from './patch-targets';
export { canaryServices } from './services';

/** Placeholders of the shared templates, and the build-time (local-config) objects that fill them. */
export const TEMPLATE_LEFTOVERS =
  /\b(SERVICE|SHORT|IMAGE|PROTOCOL|GRPC_SERVICE)\b|ServiceFacts|pr-canary-placeholder/;

/**
 * `relDir` (relative to manifests/) built by `kubectl kustomize`, and its problems: a template
 * placeholder or build-time object left in its output, a schema error of an object it renders (when
 * `crds` is given) and a patch (in it or its components) that lands on nothing.
 */
export async function checkKustomization(
  relDir: string,
  crds?: CrdIndex,
): Promise<{ objects: KubeObject[]; problems: string[] }> {
  const objects = await kustomizeBuild(path.join(MANIFESTS_DIR, relDir));
  const leftover = JSON.stringify(objects).match(TEMPLATE_LEFTOVERS);
  const problems = [
    ...(objects.length === 0 ? [`${relDir}: renders nothing`] : []),
    ...(leftover ? [`${relDir}: renders the template leftover "${leftover[0]}"`] : []),
    ...(crds ? await objectProblems(objects, crds) : []),
    ...(await unmatchedPatches(relDir)),
  ];
  return { objects, problems };
}

/** Schema errors (custom resources: the upstream CRDs) and misspelt relied-on fields, by object. */
export async function objectProblems(objects: readonly KubeObject[], crds: CrdIndex): Promise<string[]> {
  const all = await Promise.all(
    objects.map(async (o) =>
      [...(await schemaErrors(o, crds)), ...reliedFieldErrors(o)].map((e) => `${ref(o)}: ${e}`),
    ),
  );
  return all.flat();
}

/** Which of the platform's ValidatingAdmissionPolicies guards each kind a PR app renders. */
const ADMISSION: Record<string, { policy: string; resource: string }> = {
  IngressRoute: { policy: 'pr-canary-edge-routes', resource: 'ingressroutes' },
  GRPCRoute: { policy: 'pr-canary-mesh-routes', resource: 'grpcroutes' },
  Deployment: { policy: 'pr-canary-images', resource: 'deployments' },
};

export const admissionRequest = (o: KubeObject, resource: string): AdmissionRequest => ({
  operation: 'CREATE',
  namespace: o.metadata.namespace ?? '',
  name: o.metadata.name,
  resource,
});

/** Every route and workload the PR apps render that its policy (in `platform`) refuses or misses. */
export function admissionProblems(platform: readonly KubeObject[], prApps: readonly PrApp[]): string[] {
  return prApps.flatMap(({ app, objects }) =>
    objects.flatMap((o) => {
      const guard = ADMISSION[o.kind];
      if (guard === undefined) return [];
      const policy = platform.find(
        (p) => p.kind === 'ValidatingAdmissionPolicy' && p.metadata.name === guard.policy,
      );
      if (policy === undefined) return [`platform: no ValidatingAdmissionPolicy ${guard.policy}`];
      const result = admit(policy, o, admissionRequest(o, guard.resource));
      return result.matched && result.allowed
        ? []
        : [
            `${app.metadata.name}: ${o.kind} ${o.metadata.name} ${result.messages.join('; ') || 'not matched'}`,
          ];
    }),
  );
}

/**
 * Whether a linter (yamllint, shellcheck) is installed. CI installs both, so there a missing one
 * throws; elsewhere its checks are skipped, with a warning.
 */
export function lintToolInstalled(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI) throw new Error(`${tool} is required in CI but is not installed`);
    console.warn(`skipping ${tool} checks: ${tool} is not installed (CI installs it)`);
    return false;
  }
}

/** yamllint's findings (parsable format) on `files`, with this folder's config; '' when none. */
export async function yamllintFindings(files: readonly string[]): Promise<string> {
  try {
    await promisify(execFile)('yamllint', ['-c', '.yamllint.yaml', '-f', 'parsable', ...files], {
      cwd: MANIFESTS_DIR,
    });
    return '';
  } catch (error) {
    return (error as { stdout?: string }).stdout || (error as Error).message;
  }
}
