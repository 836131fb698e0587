import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository root (tools/ship-checks/src → ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export function repoPath(...segments: string[]): string {
  return path.join(REPO_ROOT, ...segments);
}

export function readRepoFile(relative: string): string {
  return readFileSync(repoPath(relative), 'utf8');
}

export function readRepoJson<T = Record<string, unknown>>(relative: string): T {
  return JSON.parse(readRepoFile(relative)) as T;
}

export function repoFileExists(relative: string): boolean {
  return existsSync(repoPath(relative));
}
