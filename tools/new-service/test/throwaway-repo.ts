/**
 * A throwaway copy of this repository to scaffold into, cheap enough for `npm test`:
 * - at `<temp>/pr-canary-scaffold-copy-<random>/repo`, beside a link `shared` to the folder beside this
 *   repository's root (`../shared`: the upstream CRDs the manifests checks read from `../shared/crds`);
 * - the files git knows (tracked, and new ones not ignored) as they are in the working tree, with
 *   their timestamps, plus every workspace's `dist/` (so incremental builds find nothing to redo);
 * - `node_modules` as links to this repository's installed packages, except `@pr-canary/*`, which
 *   point into the copy (its workspaces, and the one the scaffold adds);
 * - a git repository of its own with one commit, so `git status` afterwards lists exactly what the
 *   scaffold wrote and changed.
 * It lives under the OS temp folder. `remove()` deletes it; a copy left behind by a run that was killed
 * (its owner pid gone) is deleted by the next one, so nothing piles up.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isProcessAlive } from '@pr-canary/local-kit/process-alive';
import { workspacePackages } from '../src/workspace';

export const SOURCE_ROOT = path.resolve(__dirname, '../../..');
/**
 * Copies made by this layout (the copy in `repo/`, beside the `shared` link). Named apart from the
 * older `pr-canary-throwaway-*` copies (the repository at the top), so a sweeper of either layout
 * never takes a live copy of the other for an abandoned one.
 */
const PREFIX = 'pr-canary-scaffold-copy-';
/** Inside .git, so it never shows in `git status`. */
const OWNER_FILE = '.git/throwaway-owner';
/** The copy's folder inside the temporary one (which also holds the `shared` link). */
const REPO_DIR = 'repo';

export interface ThrowawayRepo {
  root: string;
  /** `git status` of the copy: every path changed or added since the copy was made, sorted. */
  changedFiles(): string[];
  remove(): void;
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Deletes copies whose owning test process is gone (killed before it could clean up). */
export function sweepAbandoned(): string[] {
  const removed: string[] = [];
  for (const entry of fs.readdirSync(tmpdir())) {
    if (!entry.startsWith(PREFIX)) continue;
    const dir = path.join(tmpdir(), entry);
    let owner = Number.NaN;
    try {
      owner = Number(fs.readFileSync(path.join(dir, REPO_DIR, OWNER_FILE), 'utf8'));
    } catch {
      // No owner file: the copy never finished being made; its maker is gone if it is old.
    }
    if (Number.isInteger(owner) ? isProcessAlive(owner) : Date.now() - fs.lstatSync(dir).mtimeMs < 60_000)
      continue;
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function copyFile(source: string, target: string): void {
  const stats = fs.lstatSync(source, { throwIfNoEntry: false });
  if (!stats) return; // tracked but deleted in the working tree
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (stats.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(source), target);
  else fs.cpSync(source, target, { preserveTimestamps: true });
}

/** `node_modules` of the copy: links to the installed packages; the workspace links point into the copy. */
function linkModules(source: string, root: string): void {
  const modules = path.join(root, 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(source, 'node_modules'))) {
    if (entry === '@pr-canary' || entry === '.cache') continue;
    fs.symlinkSync(path.join(source, 'node_modules', entry), path.join(modules, entry));
  }
  const scope = path.join(source, 'node_modules/@pr-canary');
  fs.mkdirSync(path.join(modules, '@pr-canary'));
  for (const entry of fs.readdirSync(scope)) {
    const link = path.join(scope, entry);
    // npm's workspace links are relative (../../apps/x), so the same link resolves inside the copy.
    if (fs.lstatSync(link).isSymbolicLink())
      fs.symlinkSync(fs.readlinkSync(link), path.join(modules, '@pr-canary', entry));
  }
  for (const { dir: workspace } of workspacePackages(source)) {
    const nested = path.join(source, workspace, 'node_modules');
    if (fs.existsSync(nested) && fs.existsSync(path.join(root, workspace)))
      fs.symlinkSync(nested, path.join(root, workspace, 'node_modules'));
  }
}

export function createThrowawayRepo(source = SOURCE_ROOT): ThrowawayRepo {
  sweepAbandoned();
  const parent = fs.mkdtempSync(path.join(tmpdir(), PREFIX));
  const root = path.join(parent, REPO_DIR);
  const remove = () => fs.rmSync(parent, { recursive: true, force: true });
  // Last resort for a run that ends without its afterAll (e.g. vitest torn down on a signal).
  process.once('exit', remove);
  try {
    fs.symlinkSync(path.resolve(source, '..', 'shared'), path.join(parent, 'shared'));
    const files = git(source, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
      .split('\0')
      .filter((file) => file.length > 0);
    for (const file of files) copyFile(path.join(source, file), path.join(root, file));
    for (const { dir: workspace } of workspacePackages(source)) {
      const dist = path.join(source, workspace, 'dist');
      if (fs.existsSync(dist) && fs.existsSync(path.join(root, workspace)))
        fs.cpSync(dist, path.join(root, workspace, 'dist'), { recursive: true, preserveTimestamps: true });
    }
    linkModules(source, root);
    git(root, ['init', '--quiet', '--initial-branch=main']);
    // The links into this repository's node_modules (also inside workspaces) are no part of the copy.
    fs.writeFileSync(path.join(root, '.git/info/exclude'), 'node_modules\n');
    fs.writeFileSync(path.join(root, OWNER_FILE), String(process.pid));
    git(root, ['add', '--all']);
    git(root, [
      '-c',
      'user.name=throwaway',
      '-c',
      'user.email=throwaway@localhost',
      'commit',
      '--quiet',
      '--no-verify',
      '-m',
      'copy',
    ]);
  } catch (error) {
    remove();
    throw error;
  }
  return {
    root,
    changedFiles: () =>
      git(root, ['status', '--porcelain', '--untracked-files=all', '-z'])
        .split('\0')
        .filter((line) => line.length > 3)
        .map((line) => line.slice(3))
        .sort(),
    remove() {
      process.off('exit', remove);
      remove();
    },
  };
}
