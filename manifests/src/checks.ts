/**
 * The policy checks, by name. Each guards against one mistake found in public write-ups of this
 * pattern and returns the violations it finds ([] when clean); the tests run each against the real
 * manifests and against deliberately broken copies. The checks live in src/policy/, by concern.
 */
import {
  argoKustomizeOptions,
  automatedSync,
  flaggerOwnedFields,
  prApplicationSets,
  repoUrl,
  syncRetry,
  targetRevision,
} from './policy/argocd';
import { storeAwsIdentity } from './policy/aws';
import type { Check } from './policy/common';
import { opaqueStorePorts } from './policy/mesh';
import {
  hookNamespace,
  immutablePrImages,
  prIsolation,
  prNamespaceGuardrails,
  prSharedNamespaces,
  separateTables,
} from './policy/pr-canaries';
import { canaryWaves, progressiveDelivery } from './policy/progressive-delivery';
import { applicationNames, projectPermissions, projectWaves } from './policy/projects';
import {
  corsOrigins,
  edgeCertificates,
  flaggerMeshConflict,
  grpcAppProtocol,
  grpcRouteTargets,
  prEdgeRoute,
  prMeshRoute,
  productionStripsCanaryHeader,
  traefikV3,
} from './policy/routing';
import {
  hardenedPods,
  hpaContainerMetrics,
  imageContract,
  metricTemplates,
  pinnedImages,
  probes,
  references,
  selectorsMatch,
  serviceBases,
  serviceEnv,
  webApiUrl,
} from './policy/workloads';

export type { Check, CheckContext, Violation } from './policy/common';
export { deployedCanaries } from './policy/routing';

export const CHECKS = {
  repoUrl,
  prApplicationSets,
  argoKustomizeOptions,
  targetRevision,
  automatedSync,
  syncRetry,
  flaggerOwnedFields,
  projectPermissions,
  projectWaves,
  applicationNames,
  prNamespaceGuardrails,
  immutablePrImages,
  prIsolation,
  prSharedNamespaces,
  separateTables,
  storeAwsIdentity,
  hookNamespace,
  traefikV3,
  prEdgeRoute,
  grpcRouteTargets,
  prMeshRoute,
  grpcAppProtocol,
  opaqueStorePorts,
  flaggerMeshConflict,
  progressiveDelivery,
  canaryWaves,
  productionStripsCanaryHeader,
  edgeCertificates,
  corsOrigins,
  webApiUrl,
  selectorsMatch,
  references,
  pinnedImages,
  hardenedPods,
  imageContract,
  probes,
  hpaContainerMetrics,
  serviceEnv,
  metricTemplates,
  serviceBases,
} satisfies Record<string, Check>;
