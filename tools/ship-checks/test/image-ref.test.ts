import { parseCanaryKey } from '@pr-canary/contracts/canary-key';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { deployRecord } from '../../../.github/scripts/deploy-record.mjs';
import { imageRepository, prImageTag, releaseVersion } from '../../../.github/scripts/image-ref.mjs';
import { CANARY_SERVICES } from '../../../.github/scripts/services.mjs';
import { REPO_ROOT, readRepoFile, repoPath } from '../src/repo';
import { run } from '../src/tools';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('PR image tags', () => {
  it('are pr-<N>-<first 8 hex of the head commit>', () => {
    expect(prImageTag({ pr: '42', sha: SHA })).toBe('pr-42-01234567');
  });

  it('accept exactly the PR numbers the canary key parser accepts', () => {
    for (const pr of ['1', '42', '999999999', '0', '042', '1000000000', '4 2', '-1', '', '٤٢', '42\n']) {
      const accepted = (() => {
        try {
          prImageTag({ pr, sha: SHA });
          return true;
        } catch {
          return false;
        }
      })();
      expect(accepted, JSON.stringify(pr)).toBe(parseCanaryKey(pr).kind === 'valid' && pr === pr.trim());
    }
  });

  it('refuse anything but a full lowercase commit SHA', () => {
    for (const sha of [SHA.slice(0, 39), SHA.toUpperCase(), `${SHA}0`, `${SHA.slice(0, 39)}g`]) {
      expect(() => prImageTag({ pr: '1', sha })).toThrow(/40 lowercase hex/);
    }
  });

  it.each(CANARY_SERVICES.map((service) => [service.name]))(
    "match the image the %s PR ApplicationSet deploys once CI's deploy record names it",
    (name) => {
      const appSet = readRepoFile(`manifests/argocd/applicationsets/pr-${name}.yaml`);
      const config = parseYaml(readRepoFile('manifests/config.yaml')) as {
        imageRegistry: string;
        github: { owner: string };
      };
      const rendered = `${config.imageRegistry}/${name}:{{.deployable.tag}}`;
      expect(appSet).toContain(rendered);
      const record = deployRecord({ pr: '42', service: name, sha: SHA });
      expect(`${imageRepository(config.github.owner, name)}:${prImageTag({ pr: '42', sha: SHA })}`).toBe(
        rendered.replace('{{.deployable.tag}}', record.deployable.tag),
      );
      expect(record.deployable.tag).toBe(`pr-42-${SHA.slice(0, 8)}`);
    },
  );
});

describe('image repositories', () => {
  it('are ghcr.io/<lowercased owner>/<service>', () => {
    expect(imageRepository('Acme-Org', 'store-service')).toBe('ghcr.io/acme-org/store-service');
  });

  it('refuse owners and services that are not real names', () => {
    expect(() => imageRepository('acme/evil', 'api-service')).toThrow(/owner/);
    expect(() => imageRepository('-acme', 'api-service')).toThrow(/owner/);
    expect(() => imageRepository('acme', 'api-service:latest')).toThrow(/unknown service/);
  });
});

describe('release versions', () => {
  it('come from semantic version tags', () => {
    expect(releaseVersion('v1.2.3')).toBe('1.2.3');
    expect(releaseVersion('refs/tags/v0.4.0-rc.1')).toBe('0.4.0-rc.1');
  });

  it('refuse tags that are not semantic versions', () => {
    for (const ref of ['1.2.3', 'v1.2', 'v01.2.3', 'v1.2.3-', 'v1.2.3;rm', 'latest', 'v1.2.3-rc.01']) {
      expect(() => releaseVersion(ref), ref).toThrow(/release tag/);
    }
  });
});

describe('image-ref.mjs command line', () => {
  const cli = (...args: string[]) =>
    run('node', [repoPath('.github/scripts/image-ref.mjs'), ...args], { cwd: REPO_ROOT });

  it('prints the PR image reference the workflow pushes', () => {
    const result = cli('pr', '--owner', 'acme', '--service', 'api-service', '--pr', '9', '--sha', SHA);
    expect(result).toMatchObject({ status: 0, stdout: 'ghcr.io/acme/api-service:pr-9-01234567\n' });
  });

  it('prints the release image reference and exits 2 on a bad tag', () => {
    expect(cli('release', '--owner', 'acme', '--service', 'web', '--ref', 'v2.0.0').stdout).toBe(
      'ghcr.io/acme/web:2.0.0\n',
    );
    const bad = cli('release', '--owner', 'acme', '--service', 'web', '--ref', 'main');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('release tag must look like v1.2.3');
  });

  it('names the missing option', () => {
    expect(cli('pr', '--owner', 'acme').stderr).toContain('--service is required for "pr"');
  });
});
