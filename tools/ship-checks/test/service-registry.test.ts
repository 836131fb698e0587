import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as contracts from '@pr-canary/contracts/services';
import { afterAll, describe, expect, it } from 'vitest';
import { CANARY_SERVICES, canaryLabel, SERVICES } from '../../../.github/scripts/services.mjs';
import { repoPath } from '../src/repo';
import { run } from '../src/tools';

/**
 * The workflow scripts take every service from the registry (packages/contracts/src/services.json):
 * `.github/scripts/services.mjs` reads it as plain JSON (no build in CI), so it must hand out exactly
 * what the contracts package validates and every TypeScript reader sees.
 */
const work = mkdtempSync(path.join(tmpdir(), 'ship-checks-registry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const servicesCli = repoPath('.github/scripts/services.mjs');

describe('services.mjs', () => {
  it('hands out the registry exactly as the contracts package validates it', () => {
    expect(SERVICES).toEqual(contracts.SERVICES);
    expect(CANARY_SERVICES).toEqual(contracts.canaryServices());
    for (const service of SERVICES) expect(canaryLabel(service)).toBe(contracts.canaryLabel(service));
  });

  it('lists the registered names for shell loops and workflow matrices', () => {
    expect(run('node', [servicesCli, 'names']).stdout).toBe(`${contracts.serviceNames().join('\n')}\n`);
    expect(run('node', [servicesCli, 'names', '--canary']).stdout).toBe(
      `${contracts
        .canaryServices()
        .map((service) => service.name)
        .join('\n')}\n`,
    );
    expect(JSON.parse(run('node', [servicesCli, 'matrix']).stdout)).toEqual(contracts.serviceNames());
  });

  it('refuses an unknown command or service with a usage error, exit code 2', () => {
    const unknownCommand = run('node', [servicesCli, 'list']);
    expect(unknownCommand.status).toBe(2);
    expect(unknownCommand.stderr).toContain('usage: services.mjs');
    const unknownService = run('node', [servicesCli, 'dockerfile', 'cart']);
    expect(unknownService.status).toBe(2);
    expect(unknownService.stderr).toBe(
      `services: unknown service "cart" (registered: ${contracts.serviceNames().join(', ')})\n`,
    );
  });
});

/** A `gh` on PATH that records its arguments (and the release notes file) and answers nothing. */
function fakeGh(): { env: NodeJS.ProcessEnv; calls: () => string } {
  const bin = mkdtempSync(path.join(work, 'bin-'));
  const log = path.join(bin, 'calls.log');
  writeFileSync(
    path.join(bin, 'gh'),
    [
      '#!/usr/bin/env bash',
      `CALLS=${JSON.stringify(log)}`,
      'echo "gh $*" >> "$CALLS"',
      'for ((i = 1; i <= $#; i++)); do',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash indirect expansion, not a JS template
      '  if [[ "${!i}" == --notes-file ]]; then j=$((i + 1)); cat "${!j}" >> "$CALLS"; fi',
      'done',
      '[[ "$1" != api ]]',
      '',
    ].join('\n'),
  );
  chmodSync(path.join(bin, 'gh'), 0o755);
  return {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    calls: () => readFileSync(log, 'utf8'),
  };
}

describe('the release and cleanup scripts walk the registry', () => {
  it('create-release.sh lists the released image of every registered service', () => {
    const gh = fakeGh();
    const result = run(repoPath('.github/scripts/create-release.sh'), ['v1.2.3'], {
      env: { ...gh.env, GITHUB_REPOSITORY: 'acme/pr-canary', OWNER: 'acme' },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const images = [...gh.calls().matchAll(/^- `(.+)`$/gm)].map((match) => match[1]);
    expect(images).toEqual(SERVICES.map((service) => `ghcr.io/acme/${service.image}:1.2.3`));
  });

  it('delete-pr-images.sh visits the package of every canary service by default', () => {
    const gh = fakeGh();
    const result = run(repoPath('.github/scripts/delete-pr-images.sh'), ['42'], {
      env: { ...gh.env, OWNER: 'acme', OWNER_TYPE: 'Organization', SERVICES: '' },
    });
    expect(result.status).toBe(0);
    const visited = [...gh.calls().matchAll(/packages\/container\/([a-z0-9-]+)\/versions/g)].map((m) => m[1]);
    expect(visited).toEqual(CANARY_SERVICES.map((service) => service.name));
  });
});
