import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockfileWithWorkspace, type WorkspaceManifest } from '../src/workspace';

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
