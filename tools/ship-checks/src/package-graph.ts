/**
 * The workspace package graph, as declared and as used: each workspace's declared dependencies on other
 * workspaces (every dependency field of its package.json) and the workspaces its files actually import
 * (a bare `@pr-canary/…` specifier, or a relative path into another workspace's folder). An import
 * that is not declared is a hidden dependency; a path through declared and hidden edges back to where it
 * started is a cycle. Imports are read with TypeScript's own pre-processor (static and dynamic `import`,
 * `export … from`, `require`, `import x = require`), so comments and strings do not count.
 *
 * The same reading checks third-party packages: a file may import only what its own package.json or
 * the root's (the repository-wide tools: vitest, typescript, tsx, playwright-core) declares. One that
 * merely happens to be installed, hoisted there for another workspace, is an undeclared dependency:
 * it works until that workspace drops it or pins another version.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { packageOf } from './package-name';

export interface WorkspaceInfo {
  name: string;
  /** Folder relative to the repository root, POSIX separators (`apps/web`). */
  dir: string;
  /** Workspace packages named in dependencies, devDependencies, peerDependencies or optionalDependencies. */
  declared: ReadonlySet<string>;
}

export interface WorkspaceImport {
  /** The importing workspace. */
  from: string;
  /** The imported workspace. */
  to: string;
  /** Importing file, relative to the repository root. */
  file: string;
  specifier: string;
}

export interface PackageGraph {
  workspaces: readonly WorkspaceInfo[];
  imports: readonly WorkspaceImport[];
}

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;
/** Folders holding generated or installed code, never a workspace's own source. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'build', 'coverage', '.turbo', '.data']);
/**
 * Left out of the third-party check: a new service's files (tools/new-service/templates), whose
 * imports become that service's own package.json (derived from them: tools/new-service/src/workspace.ts).
 */
const TEMPLATE_DIRS = new Set([...SKIPPED_DIRS, 'templates']);

/** Every package name a package.json declares, in any dependency field. */
export function declaredPackages(manifest: Record<string, unknown>): Set<string> {
  return new Set(
    DEPENDENCY_FIELDS.flatMap((field) => Object.keys((manifest[field] as object | undefined) ?? {})),
  );
}

/** Reads the graph of the workspaces under `root` (as listed by the root package.json `workspaces`). */
export function readPackageGraph(root: string, workspaceDirs: readonly string[]): PackageGraph {
  const manifests = workspaceDirs.map((dir) => ({
    dir: toPosix(dir),
    manifest: JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >,
  }));
  const names = new Set(manifests.map(({ manifest }) => String(manifest.name)));
  const workspaces: WorkspaceInfo[] = manifests.map(({ dir, manifest }) => ({
    name: String(manifest.name),
    dir,
    declared: new Set([...declaredPackages(manifest)].filter((dependency) => names.has(dependency))),
  }));
  const imports = workspaces.flatMap((workspace) =>
    sourceFiles(path.join(root, workspace.dir)).flatMap((file) =>
      workspaceImports(root, file, workspace, workspaces),
    ),
  );
  return { workspaces, imports };
}

/** The source files under `dir` (JavaScript and TypeScript, no .d.ts), generated and installed folders left out. */
export function sourceFiles(dir: string, skipped: ReadonlySet<string> = SKIPPED_DIRS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return skipped.has(entry.name) ? [] : sourceFiles(full, skipped);
    return entry.isFile() && SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The other workspaces one file imports. */
export function workspaceImports(
  root: string,
  file: string,
  own: WorkspaceInfo,
  workspaces: readonly WorkspaceInfo[],
): WorkspaceImport[] {
  const relativeFile = toPosix(path.relative(root, file));
  return importSpecifiers(readFileSync(file, 'utf8')).flatMap((specifier) => {
    const target = specifier.startsWith('.')
      ? workspaceAt(toPosix(path.relative(root, path.resolve(path.dirname(file), specifier))), workspaces)
      : workspaces.find((workspace) => isPackageSpecifier(specifier, workspace.name));
    return target && target.name !== own.name
      ? [{ from: own.name, to: target.name, file: relativeFile, specifier }]
      : [];
  });
}

/** Every module specifier a source text imports, requires or re-exports. */
export function importSpecifiers(source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map((imported) => imported.fileName);
}

function isPackageSpecifier(specifier: string, name: string): boolean {
  return specifier === name || specifier.startsWith(`${name}/`);
}

/** The workspace whose folder holds `relativePath` (the deepest one, should folders nest). */
function workspaceAt(relativePath: string, workspaces: readonly WorkspaceInfo[]): WorkspaceInfo | undefined {
  return workspaces
    .filter((workspace) => relativePath === workspace.dir || relativePath.startsWith(`${workspace.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length)[0];
}

export interface PackageImport {
  /** The package imported (`fastify` for `fastify/types/…`). */
  name: string;
  /** Importing file, relative to the repository root. */
  file: string;
  specifier: string;
}

/**
 * The third-party packages the source files under `dir` (relative to `root`) import that `declared`
 * does not name. Pass what the folder's package.json declares, the root's, and the workspaces' names
 * (those are the workspace graph's to check).
 */
export function undeclaredPackageImports(
  root: string,
  dir: string,
  declared: ReadonlySet<string>,
): PackageImport[] {
  return packageImportsOutside(
    root,
    sourceFiles(path.join(root, dir), TEMPLATE_DIRS),
    importSpecifiers,
    declared,
  );
}

/** The third-party packages `files` import (as `specifiersOf` reads a file) that `allowed` does not name. */
function packageImportsOutside(
  root: string,
  files: readonly string[],
  specifiersOf: (source: string) => string[],
  allowed: ReadonlySet<string>,
): PackageImport[] {
  return files.flatMap((file) =>
    specifiersOf(readFileSync(file, 'utf8')).flatMap((specifier) => {
      const name = packageOf(specifier);
      return name === undefined || allowed.has(name)
        ? []
        : [{ name, file: toPosix(path.relative(root, file)), specifier }];
    }),
  );
}

/**
 * The module specifiers a source text still loads once TypeScript has compiled it: imports and
 * re-exports that bring a value (not `import type`, not `import { type A }` alone), `import x =
 * require()`, `require()` and `import()` calls. Types are erased, `import('x').T` among them. (An import
 * that is not marked `type` counts even if TypeScript would elide it for being used as a type only.)
 */
export function runtimeImportSpecifiers(source: string): string[] {
  const file = ts.createSourceFile('source.ts', source, ts.ScriptTarget.Latest);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      if (importsValue(node.importClause)) found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier && exportsValue(node))
        found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isImportEqualsDeclaration(node)) {
      const reference = node.moduleReference;
      if (
        !node.isTypeOnly &&
        ts.isExternalModuleReference(reference) &&
        ts.isStringLiteral(reference.expression)
      )
        found.push(reference.expression.text);
    } else if (ts.isCallExpression(node) && isLoadCall(node)) {
      found.push((node.arguments[0] as ts.StringLiteralLike).text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function importsValue(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return true; // `import 'x'`: loaded for what it does
  if (clause.isTypeOnly) return false;
  if (clause.name) return true;
  const bindings = clause.namedBindings;
  return (
    !bindings || ts.isNamespaceImport(bindings) || bindings.elements.some((element) => !element.isTypeOnly)
  );
}

function exportsValue(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return false;
  const clause = node.exportClause;
  return !clause || !ts.isNamedExports(clause) || clause.elements.some((element) => !element.isTypeOnly);
}

/** `require('x')` or `import('x')` with a literal specifier. */
function isLoadCall(node: ts.CallExpression): boolean {
  const [first] = node.arguments;
  if (!first || !ts.isStringLiteralLike(first)) return false;
  return (
    node.expression.kind === ts.SyntaxKind.ImportKeyword ||
    (ts.isIdentifier(node.expression) && node.expression.text === 'require')
  );
}

/** A workspace as an image holds it: its folder, name and production dependencies (changed-services.mjs). */
export interface ShippedWorkspace {
  name: string;
  dir: string;
  runtimeDeps: readonly string[];
}

/**
 * What a service's image would lack. The image installs production dependencies only (`npm ci
 * --omit=dev --workspace=<service>`, see the Dockerfile), so a file it runs — under `src/` of the
 * service or of a workspace in its production closure (`shippedWorkspaces`) — may load only packages
 * its own package.json lists under dependencies, optionalDependencies or peerDependencies. A
 * devDependency loads in a full checkout, hoisted there for some other workspace, and is missing from
 * the image: the store's image could not start while service-kit's request log loaded Fastify, a
 * devDependency of service-kit (Dec 2026).
 */
export function devOnlyRuntimeImports(root: string, shipped: readonly ShippedWorkspace[]): PackageImport[] {
  return shipped.flatMap((workspace) => {
    const src = path.join(root, workspace.dir, 'src');
    if (!existsSync(src)) return [];
    const installed = new Set([workspace.name, ...workspace.runtimeDeps]);
    return packageImportsOutside(root, sourceFiles(src), runtimeImportSpecifiers, installed);
  });
}

/** Imports of a workspace its package.json does not declare. */
export function hiddenDependencies(graph: PackageGraph): WorkspaceImport[] {
  const declared = new Map(graph.workspaces.map((workspace) => [workspace.name, workspace.declared]));
  return graph.imports.filter((edge) => !declared.get(edge.from)?.has(edge.to));
}

/**
 * The groups of workspaces that depend on each other in a circle, through declared dependencies and
 * hidden imports alike: the strongly connected components with more than one member (Tarjan), each
 * sorted by name. Empty when the graph is acyclic.
 */
export function packageCycles(graph: PackageGraph): string[][] {
  const edges = new Map<string, Set<string>>(graph.workspaces.map((w) => [w.name, new Set(w.declared)]));
  for (const edge of graph.imports) edges.get(edge.from)?.add(edge.to);
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        lowLink.set(node, Math.min(lowLink.get(node) as number, lowLink.get(next) as number));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node) as number, index.get(next) as number));
      }
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1 || edges.get(node)?.has(node)) groups.push(group.sort());
  };
  for (const name of [...edges.keys()].sort()) if (!index.has(name)) connect(name);
  return groups;
}

/** Edges (declared or imported) from `from` to `to`, described for a failure message. */
export function edgesBetween(graph: PackageGraph, from: string, to: string): string[] {
  const declared = graph.workspaces.find((workspace) => workspace.name === from)?.declared.has(to);
  return [
    ...(declared ? [`${from}/package.json declares ${to}`] : []),
    ...graph.imports
      .filter((edge) => edge.from === from && edge.to === to)
      .map((edge) => `${edge.file} imports ${edge.specifier}`),
  ];
}

function toPosix(value: string): string {
  return value.split(path.sep).join('/');
}
