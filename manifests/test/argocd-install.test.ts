import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARGOCD_CM_FILE } from '../src/layout';
import { parseYamlFile } from '../src/objects';

// Upstream fact: argoproj/argo-cd docs/operator-manual/health.md, "Argocd App" (checked November 2026).
const UPSTREAM_APPLICATION_HEALTH = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
`;

describe('the documented Argo CD install (argocd/install/argocd-cm.yaml)', () => {
  it('restores the Application health check Argo CD 1.8 removed, verbatim, so sync waves on Applications wait', () => {
    const cm = parseYamlFile(readFileSync(ARGOCD_CM_FILE, 'utf8')) as {
      kind: string;
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    expect(cm).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' } });
    expect(cm.data['resource.customizations.health.argoproj.io_Application']).toBe(
      UPSTREAM_APPLICATION_HEALTH,
    );
  });
});
