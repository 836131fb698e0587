import { describe, expect, it } from 'vitest';
import {
  ArgoCdError,
  applyKustomizeOptions,
  parseImageOverride,
  pullRequestParams,
  renderApplication,
} from '../src/argocd';

describe('Argo CD Kustomize options, applied like the repo server', () => {
  const source = {
    namespace: 'api-canary-pr-0',
    images: [{ name: 'ghcr.io/pr-canary/api-service', newTag: '0.1.0' }],
    patches: [{ path: 'canary-size.yaml' }],
  };

  it('overrides namespace and suffix, replaces an image by name, appends patches and components', () => {
    const result = applyKustomizeOptions(source, {
      namespace: 'api-canary-pr-5',
      nameSuffix: '-pr-5',
      images: ['ghcr.io/pr-canary/api-service:pr-5-0123abcd', 'other/img=ghcr.io/x/y:1'],
      commonLabels: { 'pr-canary.dev/pr': '5' },
      patches: [{ patch: '[]', target: { kind: 'Deployment' } }],
      components: ['../extra'],
    });
    expect(result).toEqual({
      namespace: 'api-canary-pr-5',
      nameSuffix: '-pr-5',
      images: [
        { name: 'ghcr.io/pr-canary/api-service', newTag: 'pr-5-0123abcd' },
        { name: 'other/img', newName: 'ghcr.io/x/y', newTag: '1' },
      ],
      commonLabels: { 'pr-canary.dev/pr': '5' },
      patches: [{ path: 'canary-size.yaml' }, { patch: '[]', target: { kind: 'Deployment' } }],
      components: ['../extra'],
    });
    expect(source.namespace).toBe('api-canary-pr-0');
  });

  it('rejects options Argo CD does not have, such as resources', () => {
    expect(() => applyKustomizeOptions(source, { resources: ['x'] } as never)).toThrow(ArgoCdError);
    expect(() => applyKustomizeOptions(source, { resources: ['x'] } as never)).toThrow(
      /no Kustomize option resources/,
    );
  });

  it('parses image overrides with registry ports, tags and digests', () => {
    expect(parseImageOverride('registry:5000/app')).toEqual({ name: 'registry:5000/app' });
    expect(parseImageOverride('registry:5000/app:v1')).toEqual({ name: 'registry:5000/app', newTag: 'v1' });
    expect(parseImageOverride(`app@sha256:${'a'.repeat(64)}`)).toEqual({
      name: 'app',
      digest: `sha256:${'a'.repeat(64)}`,
    });
  });
});

describe('pull request generator parameters', () => {
  it('provides strings, 8- and 7-character short SHAs and a branch slug', () => {
    const params = pullRequestParams({
      number: 42,
      headSha: '0123456789abcdef0123456789abcdef01234567',
      branch: 'Feat/Add_Thing',
    });
    expect(params).toMatchObject({
      number: '42',
      head_short_sha: '01234567',
      head_short_sha_7: '0123456',
      branch_slug: 'feat-add-thing',
    });
  });

  it('refuses ApplicationSets without goTemplate or missingkey=error', () => {
    const appSet = { metadata: { name: 'x', namespace: 'argocd' }, spec: { goTemplate: true, template: {} } };
    expect(() => renderApplication(appSet, {})).toThrow(/missingkey=error/);
    expect(() => renderApplication({ ...appSet, spec: { template: {} } }, {})).toThrow(/goTemplate/);
  });
});
