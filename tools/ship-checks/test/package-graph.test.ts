import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { readWorkspaces, shippedWorkspaces } from '../../../.github/scripts/changed-services.mjs';
import { SERVICES } from '../../../.github/scripts/services.mjs';
import {
  declaredPackages,
  devOnlyRuntimeImports,
  edgesBetween,
  hiddenDependencies,
  importSpecifiers,
  type PackageGraph,
  packageCycles,
  readPackageGraph,
  runtimeImportSpecifiers,
  undeclaredPackageImports,
} from '../src/package-graph';
import { packageOf } from '../src/package-name';
import { REPO_ROOT, readRepoJson } from '../src/repo';

const workspaces = readWorkspaces(REPO_ROOT);
const graph = readPackageGraph(
  REPO_ROOT,
  workspaces.map((workspace: { dir: string }) => workspace.dir),
);
const nodeServices = SERVICES.filter((service) => service.runtime === 'node');

function describeCycles(of: PackageGraph): string[] {
  return packageCycles(of).map((group) => {
    const edges = group.flatMap((from) => group.flatMap((to) => edgesBetween(of, from, to)));
    return `${group.join(' ⇄ ')}: ${edges.join('; ')}`;
  });
}

describe('the workspace package graph of this repository', () => {
  it('reads every workspace and the imports between them', () => {
    const names = graph.workspaces.map((workspace) => workspace.name);
    expect(names).toEqual(
      expect.arrayContaining(['@pr-canary/contracts', '@pr-canary/web', '@pr-canary/localdev']),
    );
    expect(
      graph.imports.some((edge) => edge.from === '@pr-canary/localdev' && edge.to === '@pr-canary/contracts'),
    ).toBe(true);
  });

  it('declares every workspace a file imports (no hidden dependency)', () => {
    const hidden = hiddenDependencies(graph).map(
      (edge) => `${edge.file} imports ${edge.specifier} (${edge.to} is not declared)`,
    );
    expect(hidden).toEqual([]);
  });

  it('has no cycle, declared or hidden', () => {
    expect(describeCycles(graph)).toEqual([]);
  });

  it('declares every third-party package a file imports, in its own package.json or the root one', () => {
    const rootPackages = declaredPackages(readRepoJson('package.json'));
    const workspaceNames = graph.workspaces.map((workspace) => workspace.name);
    const undeclared = [
      ...graph.workspaces.flatMap((workspace) =>
        undeclaredPackageImports(
          REPO_ROOT,
          workspace.dir,
          new Set([
            ...declaredPackages(readRepoJson(`${workspace.dir}/package.json`)),
            ...rootPackages,
            ...workspaceNames,
          ]),
        ),
      ),
      // The workflows' scripts run on the root install (`npm ci` at the root).
      ...undeclaredPackageImports(REPO_ROOT, '.github/scripts', rootPackages),
    ].map((found) => `${found.file} imports ${found.specifier} (${found.name} is not declared)`);
    expect(undeclared).toEqual([]);
  });

  it.each(nodeServices)(
    'gives the $name image every package its code loads: what it ships imports production dependencies only',
    (service) => {
      const missing = devOnlyRuntimeImports(REPO_ROOT, shippedWorkspaces(workspaces, service.workspace)).map(
        (found) =>
          `${found.file} loads ${found.specifier}: ${found.name} is no production dependency of its package, so the image (npm ci --omit=dev) has none`,
      );
      expect(missing).toEqual([]);
    },
  );

  it('keeps manifests off localdev: the route rule and every other contract come from @pr-canary/contracts', () => {
    expect(edgesBetween(graph, '@pr-canary/manifests', '@pr-canary/localdev')).toEqual([]);
  });

  it('keeps contracts the layer below everything: no workspace among its runtime dependencies or src imports', () => {
    const names = new Set(graph.workspaces.map((workspace) => workspace.name));
    const manifest = readRepoJson<Record<string, Record<string, string> | undefined>>(
      'packages/contracts/package.json',
    );
    const runtime = ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) =>
      Object.keys(manifest[field] ?? {}).filter((dependency) => names.has(dependency)),
    );
    expect(runtime).toEqual([]);
    const imported = graph.imports.filter(
      (edge) => edge.from === '@pr-canary/contracts' && edge.file.startsWith('packages/contracts/src/'),
    );
    expect(imported).toEqual([]);
  });
});

describe('the checks above can fail', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'pr-canary-package-graph-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function workspace(dir: string, manifest: object, files: Record<string, string> = {}): string {
    mkdirSync(path.join(root, dir), { recursive: true });
    writeFileSync(path.join(root, dir, 'package.json'), JSON.stringify(manifest));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, dir, file)), { recursive: true });
      writeFileSync(path.join(root, dir, file), text);
    }
    return dir;
  }

  const dirs = [
    workspace('packages/base', { name: '@x/base' }, { 'src/index.ts': 'export const base = 1;\n' }),
    workspace(
      'packages/tool',
      { name: '@x/tool', dependencies: { '@x/base': '1' } },
      {
        'src/index.ts': [
          "import { base } from '@x/base';",
          "// import { app } from '@x/app'; (a comment is no import)",
          'const text = "require(\'@x/app\')";',
          'export const tool = base;',
        ].join('\n'),
        'node_modules/@x/app/index.js': "require('@x/app');",
      },
    ),
    workspace(
      'apps/app',
      { name: '@x/app', dependencies: { '@x/tool': '1' } },
      { 'src/main.ts': "import { tool } from '@x/tool/index';\nexport const app = tool;\n" },
    ),
    workspace(
      'apps/web',
      { name: '@x/web', devDependencies: { '@x/app': '1' } },
      { 'test/e2e.test.ts': "import '@x/app';\n" },
    ),
  ];

  it('finds nothing wrong in an acyclic, fully declared graph', () => {
    const clean = readPackageGraph(root, dirs);
    expect(hiddenDependencies(clean)).toEqual([]);
    expect(packageCycles(clean)).toEqual([]);
  });

  /** Adds files (or a manifest) to a fixture workspace for one test; they are gone after it. */
  function breakFor(dir: string, manifest: object, files: Record<string, string>): void {
    const original = readFileSync(path.join(root, dir, 'package.json'), 'utf8');
    workspace(dir, manifest, files);
    onTestFinished(() => {
      writeFileSync(path.join(root, dir, 'package.json'), original);
      for (const file of Object.keys(files)) rmSync(path.join(root, dir, file));
    });
  }

  it('reports a hidden import that closes a cycle: an undeclared package import from a test', () => {
    breakFor(
      'apps/app',
      { name: '@x/app', dependencies: { '@x/tool': '1' } },
      {
        'test/ui.test.ts': "const { web } = await import('@x/web/test/helper');\n",
      },
    );
    const broken = readPackageGraph(root, dirs);
    expect(hiddenDependencies(broken)).toEqual([
      { from: '@x/app', to: '@x/web', file: 'apps/app/test/ui.test.ts', specifier: '@x/web/test/helper' },
    ]);
    expect(describeCycles(broken)).toEqual([
      '@x/app ⇄ @x/web: apps/app/test/ui.test.ts imports @x/web/test/helper; @x/web/package.json declares @x/app; apps/web/test/e2e.test.ts imports @x/app',
    ]);
  });

  it('counts a relative import into another workspace folder as an import of that workspace', () => {
    breakFor(
      'packages/base',
      { name: '@x/base' },
      {
        'test/x.test.ts': "export { tool } from '../../tool/src/index';\n",
      },
    );
    const broken = readPackageGraph(root, dirs);
    expect(hiddenDependencies(broken)).toEqual([
      {
        from: '@x/base',
        to: '@x/tool',
        file: 'packages/base/test/x.test.ts',
        specifier: '../../tool/src/index',
      },
    ]);
    expect(packageCycles(broken)).toEqual([['@x/base', '@x/tool']]);
  });

  it('reports a declared cycle (a dev dependency counts: npm and turbo order by it too)', () => {
    breakFor('packages/base', { name: '@x/base', devDependencies: { '@x/tool': '1' } }, {});
    const broken = readPackageGraph(root, dirs);
    expect(hiddenDependencies(broken)).toEqual([]);
    expect(describeCycles(broken)).toEqual([
      '@x/base ⇄ @x/tool: @x/base/package.json declares @x/tool; @x/tool/package.json declares @x/base; packages/tool/src/index.ts imports @x/base',
    ]);
  });

  it('is clean again once the breakage is gone', () => {
    const clean = readPackageGraph(root, dirs);
    expect(hiddenDependencies(clean)).toEqual([]);
    expect(packageCycles(clean)).toEqual([]);
  });

  it('reports a third-party package a workspace imports without declaring it, and only that', () => {
    breakFor(
      'packages/tool',
      { name: '@x/tool', dependencies: { '@x/base': '1', fastify: '5' } },
      {
        'src/server.ts': [
          "import type { FastifyInstance } from 'fastify/types/instance';",
          "import { readFile } from 'node:fs/promises';",
          "import { join } from 'path';",
          "import { describe } from 'vitest';",
          "import padStart from 'left-pad';",
          "const { client } = await import('@aws-sdk/client-dynamodb/dist-cjs');",
        ].join('\n'),
        // A scaffold's files: their imports become the new workspace's package.json, not this one's.
        'templates/src/app.ts': "import padStart from 'left-pad';\n",
      },
    );
    const declared = new Set([...declaredPackages(readPackageJson('packages/tool')), 'vitest']);
    expect(undeclaredPackageImports(root, 'packages/tool', declared)).toEqual([
      { name: 'left-pad', file: 'packages/tool/src/server.ts', specifier: 'left-pad' },
      {
        name: '@aws-sdk/client-dynamodb',
        file: 'packages/tool/src/server.ts',
        specifier: '@aws-sdk/client-dynamodb/dist-cjs',
      },
    ]);
  });

  it('reports what an image would lack: a shipped file loading a devDependency, not its types or its tests', () => {
    workspace(
      'packages/kit',
      { name: '@x/kit', dependencies: { pino: '1' }, devDependencies: { fastify: '5', vitest: '4' } },
      {
        'src/request-log.ts':
          "import { LogController } from 'fastify';\nexport class Log extends LogController {}\n",
        'src/types.ts': [
          "import type { FastifyInstance } from 'fastify';",
          "import { type FastifyReply } from 'fastify';",
          "export type { FastifyRequest } from 'fastify';",
          "type Server = import('fastify').RawServerDefault;",
        ].join('\n'),
        'src/logger.ts': "import pino from 'pino';\nimport { join } from 'node:path';\n",
        'test/request-log.test.ts': "import Fastify from 'fastify';\nimport { it } from 'vitest';\n",
      },
    );
    workspace(
      'apps/svc',
      { name: '@x/svc', dependencies: { '@x/kit': '1' } },
      { 'src/server.ts': "import '@x/kit';\n" },
    );
    const service = { name: '@x/svc', dir: 'apps/svc', runtimeDeps: ['@x/kit'] };
    const kit = { name: '@x/kit', dir: 'packages/kit', runtimeDeps: ['pino'] };
    expect(devOnlyRuntimeImports(root, [service, kit])).toEqual([
      { name: 'fastify', file: 'packages/kit/src/request-log.ts', specifier: 'fastify' },
    ]);
    // Declared where npm installs it for the image: nothing is missing.
    expect(devOnlyRuntimeImports(root, [service, { ...kit, runtimeDeps: ['pino', 'fastify'] }])).toEqual([]);
  });

  it('reads what a file loads once compiled: values, not types', () => {
    expect(
      runtimeImportSpecifiers(
        [
          "import a from 'a';",
          "import type { B } from 'b';",
          "import { type C } from 'c';",
          "import { type D, d } from 'd';",
          "import 'e';",
          "export * from 'f';",
          "export type { G } from 'g';",
          "export { h } from 'h';",
          "const i = require('i');",
          "const j = await import('j');",
          "type K = import('k').K;",
          "import l = require('l');",
          "import * as m from 'm';",
          "// import n from 'n';",
        ].join('\n'),
      ),
    ).toEqual(['a', 'd', 'e', 'f', 'h', 'i', 'j', 'l', 'm']);
  });

  it.each([
    ['@grpc/grpc-js', '@grpc/grpc-js'],
    ['@grpc/grpc-js/build/src/x', '@grpc/grpc-js'],
    ['@pr-canary/proto/generated/x/v1/Y', '@pr-canary/proto'],
    ['yaml', 'yaml'],
    ['zod/v4', 'zod'],
    ['./config', undefined],
    ['../b', undefined],
    ['/c', undefined],
    ['node:path', undefined],
    ['path', undefined],
    ['fs/promises', undefined],
    ['file:///d.js', undefined],
  ])('reads %s as the package %s', (specifier, name) => {
    expect(packageOf(specifier)).toBe(name);
  });

  function readPackageJson(dir: string): Record<string, unknown> {
    return JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  }

  it('reads imports the way TypeScript does: static, dynamic, require, re-exports; not comments or strings', () => {
    expect(
      importSpecifiers(
        [
          "import a from 'a';",
          "import type { B } from 'b';",
          "export * from 'c';",
          "const d = require('d');",
          "const e = await import('e');",
          "import f = require('f');",
          "// import g from 'g';",
          'const h = "import(\'h\')";',
        ].join('\n'),
      ),
    ).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});
