/**
 * The root README's architecture picture, held true: every workspace is in it, and its `reads` edges
 * from the service registry are exactly the folders whose code reads the registry.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathPattern, pathsEditedByHand } from './readme-list';
import { SOURCE_ROOT } from './throwaway-repo';

const README = readFileSync(path.join(SOURCE_ROOT, 'README.md'), 'utf8');
const REGISTRY_FILE = 'packages/contracts/src/services.json';
/** What reading the registry looks like in code: its module, or its JSON file. */
const READS_REGISTRY = /@pr-canary\/contracts\/services|contracts\/src\/services\.json/;
/** Code, not prose, tests or the registry's own package. */
const CODE = /\.(?:ts|mts|mjs|js|sh)$|^\.github\/workflows\/.+\.ya?ml$/;
const NOT_CODE = /(?:^|\/)(?:test|tests|templates|fixtures|generated)\/|\.test\.ts$|^packages\/contracts\//;

function picture(): string {
  const start = README.indexOf('<!-- architecture -->');
  const end = README.indexOf('<!-- /architecture -->');
  if (start === -1 || end < start) throw new Error('README.md has no <!-- architecture --> block');
  const block = README.slice(start, end);
  const mermaid = /```mermaid\n([\s\S]*?)```/.exec(block)?.[1];
  if (!mermaid) throw new Error('the architecture block has no mermaid picture');
  return mermaid;
}

/** Node id → label, from `id["label"]`, `id(["label"])`, `id{{"label"}}` and `id[("label")]`. */
function nodes(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of text.matchAll(/(\w+)(?:\["|\(\["|\{\{"|\[\(")([^"]+)"/g))
    found.set(match[1] ?? '', match[2] ?? '');
  return found;
}

/** The folder a node stands for: the start of its label, up to the first colon (`apps/*`, `localdev`). */
function folderOf(label: string): string {
  return (label.split(':')[0] ?? '').split(',')[0]?.trim() ?? '';
}

function covers(folder: string, file: string): boolean {
  if (folder.endsWith('/*')) return file.startsWith(folder.slice(0, -1));
  return file === folder || file.startsWith(`${folder}/`);
}

function workspaceFolders(): string[] {
  const { workspaces } = JSON.parse(readFileSync(path.join(SOURCE_ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  const tracked = execFileSync('git', ['ls-files', '*package.json'], { cwd: SOURCE_ROOT, encoding: 'utf8' })
    .split('\n')
    .map((file) => path.posix.dirname(file));
  return tracked.filter((dir) =>
    workspaces.some((pattern) =>
      pattern.endsWith('/*') ? path.posix.dirname(dir) === pattern.slice(0, -2) : dir === pattern,
    ),
  );
}

describe('the README architecture picture', () => {
  const text = picture();
  const byId = nodes(text);
  const labels = [...byId.values()];

  it('shows every workspace', () => {
    const missing = workspaceFolders().filter(
      (dir) =>
        !labels.some((label) => label.includes(dir) || (label.includes('apps/*') && dir.startsWith('apps/'))),
    );
    expect(missing).toEqual([]);
  });

  it('says who writes the registry and who reads it, as the code does', () => {
    const registryId = [...byId].find(([, label]) => label.includes(REGISTRY_FILE))?.[0];
    expect(registryId, `a node labelled ${REGISTRY_FILE}`).toBeDefined();
    // Node definitions reduced to their ids, so every edge reads `from -->|kind| to`.
    const bare = text.replace(/(\w+)(?:\[\(|\(\[|\{\{|\[)"[^"]*"(?:\)\]|\]\)|\}\}|\])/g, '$1');
    const edges = (kind: string) =>
      [...bare.matchAll(new RegExp(`(\\w+)\\s*-->\\|${kind}\\|\\s*(\\w+)`, 'g'))].map(
        (m) => [m[1] ?? '', m[2] ?? ''] as const,
      );
    const readers = edges('reads')
      .filter(([from]) => from === registryId)
      .map(([, to]) => folderOf(byId.get(to) ?? to));
    const writers = edges('writes')
      .filter(([, to]) => to === registryId)
      .map(([from]) => folderOf(byId.get(from) ?? from));
    expect(writers).toEqual(['tools/new-service']);

    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
      cwd: SOURCE_ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((file) => CODE.test(file) && !NOT_CODE.test(file) && !covers('tools/new-service', file));
    const reading = files.filter((file) => {
      try {
        return READS_REGISTRY.test(readFileSync(path.join(SOURCE_ROOT, file), 'utf8'));
      } catch {
        return false; // deleted in the working tree
      }
    });
    expect(
      reading.filter((file) => !readers.some((folder) => covers(folder, file))),
      'code that reads the registry in a folder the picture does not say reads it: add `registry -->|reads| <node>` for its folder to the README architecture picture',
    ).toEqual([]);
    expect(
      readers.filter((folder) => !reading.some((file) => covers(folder, file))),
      '`reads` edges in the README architecture picture to folders whose code does not read the registry: remove them',
    ).toEqual([]);
  });
});

describe("the README's list of files a new service still needs by hand", () => {
  const rows = pathsEditedByHand(README);
  const registry = JSON.parse(readFileSync(path.join(SOURCE_ROOT, REGISTRY_FILE), 'utf8')) as {
    services: { name: string; short: string; protocol: 'http' | 'grpc'; runtime: string; canary: boolean }[];
  };
  const services = registry.services.filter((service) => service.runtime === 'node' && service.canary);

  const count = (protocol: 'http' | 'grpc') => rows.filter((row) => row.protocols.includes(protocol)).length;

  it.each(['http', 'grpc'] as const)('has at most 15 files for a %s service', (protocol) => {
    expect(count(protocol)).toBeLessThanOrEqual(15);
  });

  it('says how many there are', () => {
    expect(README).toContain(`${count('http')} for an http service, ${count('grpc')} for a grpc one`);
  });

  it('names files every registered service of that protocol has, so the list is what a service needs', () => {
    const tracked = new Set(
      execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
        cwd: SOURCE_ROOT,
        encoding: 'utf8',
      }).split('\n'),
    );
    const missing = services.flatMap((service) =>
      rows
        .filter((row) => row.protocols.includes(service.protocol))
        .filter((row) => ![...tracked].some((file) => pathPattern(row, service).test(file)))
        .map((row) => `${service.name}: ${row.pattern}`),
    );
    expect(services.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});
