import { describe, expect, it } from 'vitest';
import { argoGlobMatch, isDestinationMatched, isGroupKindPermitted } from '../src/argo-project';

describe("Argo CD's project matching, reproduced offline", () => {
  it('matches namespaces with glob semantics: "*" also matches the empty namespace, a name does not', () => {
    expect(argoGlobMatch('*', '')).toBe(true);
    expect(argoGlobMatch('apps', '')).toBe(false);
    expect(argoGlobMatch('api-canary-pr-*', 'api-canary-pr-7')).toBe(true);
    expect(argoGlobMatch('api-canary-pr-*', 'store-canary-pr-7')).toBe(false);
    expect(argoGlobMatch('{apps,pr-canary-system}', 'pr-canary-system')).toBe(true);
    expect(argoGlobMatch('pr-[0-9]', 'pr-a')).toBe(false);
    expect(argoGlobMatch('!kube-*', 'kube-system')).toBe(false);
    expect(argoGlobMatch('!kube-*', 'apps')).toBe(true);
    expect(argoGlobMatch('a.b', 'aXb')).toBe(false);
  });

  it('refuses an Application whose destination namespace is empty when the project lists namespaces', () => {
    const project = { destinations: [{ server: '*', namespace: 'apps' }] };
    expect(isDestinationMatched(project, { name: 'staging', namespace: '' })).toBe(false);
    expect(isDestinationMatched(project, { name: 'staging', namespace: 'apps' })).toBe(true);
    expect(isDestinationMatched(project, { server: 'https://k8s', namespace: 'apps' })).toBe(true);
  });

  it('matches a destination by name only against name patterns (the server is inferred, unknown offline)', () => {
    const project = { destinations: [{ name: 'integration-001', namespace: 'store-canary-pr-*' }] };
    expect(isDestinationMatched(project, { name: 'integration-001', namespace: 'store-canary-pr-9' })).toBe(
      true,
    );
    expect(isDestinationMatched(project, { name: 'staging', namespace: 'store-canary-pr-9' })).toBe(false);
  });

  it('lets a deny destination veto what another destination allows', () => {
    const project = {
      destinations: [
        { server: '*', namespace: '*' },
        { server: '*', namespace: '!kube-system' },
      ],
    };
    expect(isDestinationMatched(project, { server: 'https://k8s', namespace: 'apps' })).toBe(true);
    expect(isDestinationMatched(project, { server: 'https://k8s', namespace: 'kube-system' })).toBe(false);
  });

  it('applies resource lists like IsGroupKindPermitted (nil namespaced whitelist = all, empty cluster whitelist = none)', () => {
    const ns = { group: '', kind: 'ConfigMap' };
    const cluster = { group: '', kind: 'Namespace' };
    expect(isGroupKindPermitted({}, ns, true)).toBe(true);
    expect(isGroupKindPermitted({ namespaceResourceWhitelist: [] }, ns, true)).toBe(false);
    expect(
      isGroupKindPermitted({ namespaceResourceBlacklist: [{ group: '*', kind: 'Config*' }] }, ns, true),
    ).toBe(false);
    expect(isGroupKindPermitted({}, cluster, false)).toBe(false);
    expect(
      isGroupKindPermitted({ clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }] }, cluster, false),
    ).toBe(true);
  });
});
