import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { bumpImages } from '../../../.github/scripts/bump-overlay-images.mjs';
import { prVersionIds } from '../../../.github/scripts/pr-image-versions.mjs';
import { REPO_ROOT, repoPath } from '../src/repo';
import { externalTool, run } from '../src/tools';

const work = mkdtempSync(path.join(tmpdir(), 'ship-checks-release-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bumping an overlay to a release', () => {
  const overlay = [
    '# staging runs what was released last',
    'images:',
    '  - name: ghcr.io/pr-canary/api-service',
    '    newTag: 0.1.0 # bumped by the release workflow',
    '  - name: ghcr.io/pr-canary/web',
    '    newTag: 0.1.0',
    '',
  ].join('\n');

  it('sets the new tag on the named services and keeps comments and other entries', () => {
    const bumped = bumpImages({
      text: overlay,
      owner: 'pr-canary',
      version: '1.2.3',
      services: ['api-service'],
    });
    expect(bumped).toContain('# staging runs what was released last');
    expect(parseYaml(bumped).images).toEqual([
      { name: 'ghcr.io/pr-canary/api-service', newName: 'ghcr.io/pr-canary/api-service', newTag: '1.2.3' },
      { name: 'ghcr.io/pr-canary/web', newTag: '0.1.0' },
    ]);
  });

  it('points the overlay at the releasing owner’s registry', () => {
    const bumped = bumpImages({ text: overlay, owner: 'Fork-Org', version: '2.0.0', services: ['web'] });
    expect(parseYaml(bumped).images[1]).toEqual({
      name: 'ghcr.io/pr-canary/web',
      newName: 'ghcr.io/fork-org/web',
      newTag: '2.0.0',
    });
  });

  it('refuses to invent an entry the overlay does not pin', () => {
    expect(() =>
      bumpImages({ text: overlay, owner: 'acme', version: '1.0.0', services: ['store-service'] }),
    ).toThrow('kustomization has no images entry for store-service');
  });

  const kubectl = externalTool('kubectl', ['version', '--client']);
  it.skipIf(!kubectl).each(['staging', 'production'])(
    'moves every Deployment of the real %s overlay to the release (kubectl kustomize)',
    (environment) => {
      const copy = path.join(work, 'manifests');
      cpSync(repoPath('manifests'), copy, {
        recursive: true,
        filter: (source) => !source.includes(`${path.sep}node_modules`),
      });
      const kustomization = path.join(copy, 'overlays', environment, 'kustomization.yaml');
      const cli = run(
        'node',
        [
          repoPath('.github/scripts/bump-overlay-images.mjs'),
          '--kustomization',
          kustomization,
          '--owner',
          'pr-canary',
          '--ref',
          'v9.8.7',
        ],
        { cwd: REPO_ROOT },
      );
      expect(cli.stderr).toBe('');
      expect(cli.stdout).toBe('updated\n');
      const built = run('kubectl', ['kustomize', path.dirname(kustomization)]);
      expect(built.stderr).toBe('');
      const images = parseAllDocuments(built.stdout)
        .map((doc) => doc.toJS())
        .filter((object) => object?.kind === 'Deployment')
        .flatMap((deployment) =>
          deployment.spec.template.spec.containers.map((c: { image: string }) => c.image),
        )
        .filter((image: string) => image.startsWith('ghcr.io/'));
      expect(images.length).toBeGreaterThanOrEqual(3);
      for (const image of images) expect(image).toMatch(/^ghcr\.io\/pr-canary\/[a-z0-9-]+:9\.8\.7$/);
    },
  );
});

describe('selecting a closed PR’s image versions', () => {
  const versions = [
    { id: 1, tags: ['pr-42-abcdef01'] },
    { id: 2, tags: ['pr-42-12345678', 'pr-42-87654321'] },
    { id: 3, tags: ['pr-420-abcdef01'] },
    { id: 4, tags: ['pr-42-abcdef01', '1.2.3'] },
    { id: 5, tags: [] },
    { id: 6, tags: ['pr-4-abcdef01'] },
  ];
  const ndjson = versions.map((version) => JSON.stringify(version)).join('\n');

  it('deletes only versions whose every tag belongs to that PR', () => {
    expect(prVersionIds({ ndjson, pr: '42' })).toEqual(['1', '2']);
    expect(prVersionIds({ ndjson, pr: '4' })).toEqual(['6']);
  });

  it('is what pr-image-versions.mjs prints, one id per line', () => {
    const result = run('node', [repoPath('.github/scripts/pr-image-versions.mjs'), '--pr', '420'], {
      input: ndjson,
    });
    expect(result).toMatchObject({ status: 0, stdout: '3\n' });
  });

  it('refuses a PR number that could widen the match', () => {
    expect(() => prVersionIds({ ndjson, pr: '4*' })).toThrow(/PR number/);
  });
});

describe('retry-until.sh', () => {
  const script = repoPath('.github/scripts/retry-until.sh');

  it('reruns a failing command until it succeeds', () => {
    const counter = path.join(work, 'attempts');
    writeFileSync(counter, '');
    const flaky = `echo x >> '${counter}'; [ "$(wc -l < '${counter}')" -ge 3 ]`;
    const result = run('bash', [script, '30', '1', 'bash', '-c', flaky]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('succeeded on attempt 3');
    expect(readFileSync(counter, 'utf8').split('\n').length - 1).toBe(3);
  });

  it('gives up at the deadline with the command’s own exit status', () => {
    const result = run('bash', [script, '0', '1', 'bash', '-c', 'exit 7']);
    expect(result.status).toBe(7);
    expect(result.stderr).toContain('still failing (exit 7) after 1 attempts');
  });

  it('refuses a timeout that is not a whole number of seconds', () => {
    expect(run('bash', [script, '1m', '1', 'true']).status).toBe(2);
  });
});
