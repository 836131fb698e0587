/**
 * "A patch onto an object the base doesn't contain": Kustomize silently skips a `patches` entry
 * whose target selector matches nothing, so a canary route or env patch can vanish without an
 * error. This builds a kustomization with its patches (and those of its components) removed, and
 * checks every patch selects at least one of the objects that remain.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { applyKustomizeOptions, type KustomizeOptions } from './argocd';
import { kustomizeBuild } from './kustomize';
import { MANIFESTS_DIR } from './layout';
import { group, type KubeObject, parseObjects, parseYamlFile } from './objects';

interface PatchEntry {
  path?: string;
  patch?: string;
  target?: { group?: string; version?: string; kind?: string; name?: string };
}

interface Kustomization {
  patches?: PatchEntry[];
  components?: string[];
  [field: string]: unknown;
}

interface Selector {
  group?: string;
  kind?: string;
  name?: string;
}

const readKustomization = (dir: string) =>
  parseYamlFile(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;

/** A patch's selectors: its target, or (strategic merge without target) each document's kind/name. */
function selectorsOf(entry: PatchEntry, dir: string): Selector[] {
  if (entry.target) return [entry.target];
  const text = entry.patch ?? readFileSync(path.join(dir, entry.path ?? ''), 'utf8');
  return parseObjects(text, `patch in ${dir}`).map((o) => ({
    group: group(o),
    kind: o.kind,
    name: o.metadata.name,
  }));
}

const matches = (s: Selector, o: KubeObject) =>
  (s.kind === undefined || s.kind === o.kind) &&
  (s.group === undefined || s.group === group(o)) &&
  (s.name === undefined || new RegExp(`^(?:${s.name})$`).test(o.metadata.name));

/**
 * Strips patches (and name prefix/suffix) from a kustomization and its components, in place.
 * Returns false when nothing is left (a component made only of patches), so the parent drops it:
 * Kustomize refuses an empty kustomization.
 */
function stripPatches(
  dir: string,
  root: string,
  collected: { selector: Selector; where: string }[],
): boolean {
  const kustomization = readKustomization(dir);
  for (const entry of kustomization.patches ?? []) {
    for (const selector of selectorsOf(entry, dir))
      collected.push({ selector, where: path.relative(root, dir) });
  }
  const components = (kustomization.components ?? []).filter((component) =>
    stripPatches(path.resolve(dir, component), root, collected),
  );
  const { patches: _p, namePrefix: _np, nameSuffix: _ns, components: _c, ...rest } = kustomization;
  const stripped = components.length > 0 ? { ...rest, components } : rest;
  writeFileSync(path.join(dir, 'kustomization.yaml'), stringify(stripped));
  return Object.keys(stripped).some((key) => key !== 'apiVersion' && key !== 'kind');
}

/**
 * Patch selectors in `relDir` (relative to manifests/; with Argo CD options applied when given)
 * that match no object. Returns human-readable problems ([] when every patch lands).
 */
export async function unmatchedPatches(relDir: string, options?: KustomizeOptions): Promise<string[]> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'patch-targets-'));
  try {
    const root = path.join(scratch, 'manifests');
    cpSync(MANIFESTS_DIR, root, {
      recursive: true,
      filter: (src) => !/[\\/](node_modules|test|src|\.scratch)$/.test(src),
    });
    const dir = path.join(root, relDir);
    if (options) {
      writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        stringify(applyKustomizeOptions(readKustomization(dir), options)),
      );
    }
    const collected: { selector: Selector; where: string }[] = [];
    stripPatches(dir, root, collected);
    if (collected.length === 0) return [];
    const objects = await kustomizeBuild(dir);
    return collected
      .filter(({ selector }) => !objects.some((o) => matches(selector, o)))
      .map(({ selector, where }) => `${where}: patch target ${JSON.stringify(selector)} matches nothing`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
