import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServiceName } from '../src/name';
import { plan, ScaffoldRefusedError } from '../src/scaffold';
import {
  assertNotAWorkspace,
  lockfileWithWorkspace,
  type WorkspaceManifest,
  workspacePackages,
} from '../src/workspace';

const ROOT = path.resolve(__dirname, '../../..');

describe('the new workspace in package-lock.json', () => {
  it('is recorded exactly as npm install recorded this very workspace', () => {
    // npm install wrote tools/new-service into the lockfile; take it out and add it back our way.
    const npmWritten = readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8');
    const lock = JSON.parse(npmWritten) as { packages: Record<string, unknown> };
    const manifest = JSON.parse(
      readFileSync(path.join(ROOT, 'tools/new-service/package.json'), 'utf8'),
    ) as WorkspaceManifest;
    delete lock.packages['tools/new-service'];
    delete lock.packages['node_modules/@pr-canary/new-service'];
    const without = `${JSON.stringify(lock, null, 2)}\n`;
    expect(lockfileWithWorkspace(without, 'tools/new-service', manifest)).toBe(npmWritten);
  });

  it('refuses to record a workspace twice', () => {
    const text = readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8');
    const manifest = {
      name: '@pr-canary/new-service',
      version: '0.1.0',
      dependencies: {},
    } as WorkspaceManifest;
    expect(() => lockfileWithWorkspace(text, 'tools/new-service', manifest)).toThrow(/already has/);
  });
});

describe("the repository's own workspace packages", () => {
  const packages = workspacePackages(ROOT);

  it("are read from the root package.json's workspaces, each with its package name", () => {
    expect(packages).toEqual(
      expect.arrayContaining([
        { name: '@pr-canary/traces', dir: 'packages/traces' },
        { name: '@pr-canary/local-kit', dir: 'packages/local-kit' },
        { name: '@pr-canary/new-service', dir: 'tools/new-service' },
        { name: '@pr-canary/localdev', dir: 'localdev' },
      ]),
    );
    const { workspaces } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      workspaces: string[];
    };
    // Every workspace of the lockfile (npm's own reading of the same list) is one of them.
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { link?: boolean; resolved?: string }>;
    };
    const linked = Object.entries(lock.packages)
      .filter(([key, entry]) => key.startsWith('node_modules/@pr-canary/') && entry.link)
      .map(([key, entry]) => ({ name: key.slice('node_modules/'.length), dir: entry.resolved }));
    expect(packages).toEqual(expect.arrayContaining(linked));
    expect(workspaces.length).toBeGreaterThan(5);
  });

  // Following "remove node_modules/@pr-canary/traces" would break the repository: the name is refused
  // for what it is, before anything is looked up on disk.
  it.each([
    ['traces', 'it is an existing package of this repository (@pr-canary/traces in packages/traces/)'],
    [
      'local-kit',
      'it is an existing package of this repository (@pr-canary/local-kit in packages/local-kit/)',
    ],
    [
      'canary-analysis',
      'it is an existing package of this repository (@pr-canary/canary-analysis in packages/canary-analysis/)',
    ],
    [
      'new-service',
      'it is an existing package of this repository (@pr-canary/new-service in tools/new-service/)',
    ],
    [
      'traces-service',
      'its short name "traces" is an existing package of this repository (@pr-canary/traces in packages/traces/)',
    ],
  ])('the scaffold refuses %s: %s', (name, why) => {
    expect(() => plan({ name, protocol: 'http', root: ROOT })).toThrow(ScaffoldRefusedError);
    expect(() => plan({ name, protocol: 'http', root: ROOT })).toThrow(
      `"${name}" is taken: ${why}; choose another name`,
    );
  });

  it('takes a name no workspace has', () => {
    expect(() => assertNotAWorkspace(parseServiceName('scaffold-http-service'), packages)).not.toThrow();
  });
});
