/**
 * `npm run new-service -- <name> --protocol http|grpc`: checks the name, renders the service, adds it
 * to the registry and the workspaces, and either all of it lands or none of it (see transaction.ts).
 * The local stack, its routers and CI's service lists read the registry, so the registry entry is
 * what makes the new service part of the system; its cluster manifests are rendered from that entry
 * (manifests.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ARGOCD, canaryFile, duplicateArgoObject, MANIFESTS, renderManifests } from './manifests';
import { assertNameIsFree, InvalidNameError, parseServiceName, type ServiceName } from './name';
import {
  existingServices,
  parseRegistry,
  REGISTRY_FILE,
  type RegistryEntry,
  registryEntry,
  registryWithEntry,
  servicesAfterNewEntry,
} from './registry';
import { type FileSet, PROTOCOLS, type Protocol, renderService } from './templates';
import { Transaction } from './transaction';
import {
  assertNotAWorkspace,
  type Lockfile,
  lockfileWithWorkspace,
  packageNameOf,
  type RootManifest,
  workspaceManifest,
  workspacePackages,
} from './workspace';

/** The repository this generator belongs to (the folder above tools/). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
const LOCKFILE = 'package-lock.json';
export const GENERATED_PROTO = 'proto/src/generated';

export interface ScaffoldOptions {
  name: string;
  protocol: string;
  /** Default: this repository. */
  root?: string;
}

export interface ScaffoldResult {
  service: ServiceName;
  protocol: Protocol;
  workspace: string;
  /** Repository-relative paths, sorted. */
  created: string[];
  updated: string[];
}

/** Refused before anything was written: the name, the protocol or what already exists. */
export class ScaffoldRefusedError extends Error {
  override name = 'ScaffoldRefusedError';
}

/** A step ended by the interrupt (Ctrl-C) that was meant for the whole command. */
class ScaffoldInterruptedError extends Error {
  override name = 'ScaffoldInterruptedError';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted (${signal})`);
  }
}

function parseProtocol(text: string): Protocol {
  if (!(PROTOCOLS as readonly string[]).includes(text))
    throw new ScaffoldRefusedError(
      `--protocol must be one of ${PROTOCOLS.join(', ')} (got ${JSON.stringify(text.slice(0, 40))})`,
    );
  return text as Protocol;
}

function read(root: string, file: string): string {
  return readFileSync(path.join(root, file), 'utf8');
}

interface Plan {
  service: ServiceName;
  protocol: Protocol;
  workspace: string;
  grpcService: string | undefined;
  /** New files. */
  files: FileSet;
  /** Existing files, with their new content. */
  updates: FileSet;
}

/** Everything the scaffold would write; throws ScaffoldRefusedError and writes nothing when it must not. */
export function plan(options: ScaffoldOptions): Plan {
  const root = options.root ?? REPO_ROOT;
  const protocol = parseProtocol(options.protocol);
  let service: ServiceName;
  let registryText: string;
  let entry: RegistryEntry;
  try {
    service = parseServiceName(options.name);
    registryText = read(root, REGISTRY_FILE);
    // Its registry entry says what the new service will have (canaries, its hop), so which names its
    // objects would take: the name is checked against it.
    entry = registryEntry(
      service,
      protocol,
      `apps/${service.name}`,
      protocol === 'grpc' ? `${service.protoPackage}.v1.${service.pascal}Service` : undefined,
    );
    assertNameIsFree(service, entry, existingServices(parseRegistry(registryText)));
    assertNotAWorkspace(service, workspacePackages(root));
  } catch (error) {
    if (error instanceof InvalidNameError) throw new ScaffoldRefusedError(error.message);
    throw error;
  }
  const { workspace, grpcService } = entry;
  const files = renderService(service, protocol, workspace);
  const lockText = read(root, LOCKFILE);
  const manifest = workspaceManifest(
    service,
    protocol,
    workspace,
    files,
    JSON.parse(lockText) as Lockfile,
    JSON.parse(read(root, 'package.json')) as RootManifest,
  );
  files.set(`${workspace}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  const manifests = renderManifests(
    entry,
    manifest.version,
    servicesAfterNewEntry(parseRegistry(registryText)),
    (file) => read(root, file),
  );
  for (const [file, text] of manifests.files) files.set(file, text);
  const inTheWay = [
    workspace,
    `node_modules/${manifest.name}`,
    ...(protocol === 'grpc' ? [`proto/${service.protoPackage}`] : []),
    `${MANIFESTS}/base/${service.name}`,
    `${MANIFESTS}/pr-canary/${service.short}`,
    canaryFile(service),
  ].filter((file) => existsSync(path.join(root, file)));
  if (inTheWay.length > 0) {
    throw new ScaffoldRefusedError(
      `"${service.name}" is not in the registry, but ${inTheWay.join(' and ')} already exist${inTheWay.length === 1 ? 's' : ''}: remove ${inTheWay.length === 1 ? 'it' : 'them'} or choose another name (nothing was changed)`,
    );
  }
  const updates: FileSet = new Map([
    [REGISTRY_FILE, registryWithEntry(registryText, entry)],
    [LOCKFILE, lockfileWithWorkspace(lockText, workspace, manifest)],
    ...manifests.updates,
  ]);
  const argoTexts = new Map(
    [...listFiles(root, `${ARGOCD}/`), ...files.keys()]
      .filter((file) => file.startsWith(`${ARGOCD}/`) && /\.ya?ml$/.test(file))
      .map((file) => [file, updates.get(file) ?? files.get(file) ?? read(root, file)]),
  );
  const duplicate = duplicateArgoObject(argoTexts);
  if (duplicate) {
    throw new ScaffoldRefusedError(
      `"${service.name}" would clash with an Argo CD object: ${duplicate} (nothing was changed)`,
    );
  }
  return { service, protocol, workspace, grpcService, files, updates };
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix)).flatMap((entry) => {
    const relative = `${prefix}${entry}`;
    return statSync(path.join(dir, relative)).isDirectory() ? listFiles(dir, `${relative}/`) : [relative];
  });
}

/** The signals that interrupt the command (Ctrl-C, a kill, a closed terminal): everything is put back. */
const INTERRUPTS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs a node script; a failure says what failed, with the tool's own output. */
function runNode(what: string, args: string[], cwd: string): void {
  try {
    execFileSync(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const output =
      (error as { stdout?: Buffer; stderr?: Buffer; signal?: string | null; status?: number | null }) ?? {};
    // Ctrl-C reaches the step too (the terminal signals the whole job), and it dies first: that is the
    // interrupt, not the step failing.
    const signal =
      INTERRUPTS.find((name) => name === output.signal) ?? (output.status === 130 ? 'SIGINT' : undefined);
    if (signal) throw new ScaffoldInterruptedError(signal);
    throw new Error(`${what} failed:\n${String(output.stderr ?? '')}${String(output.stdout ?? '')}`.trim());
  }
}

/** The generated types of the new contract: the proto workspace's own generator, run into a scratch folder. */
function generateProtoTypes(root: string, tx: Transaction): void {
  const scratch = mkdtempSync(path.join(tmpdir(), 'new-service-proto-'));
  try {
    runNode(
      'generating the proto types',
      [path.join(root, 'proto/generate.mjs'), `--outDir=${scratch}`],
      root,
    );
    for (const file of listFiles(scratch)) {
      tx.write(`${GENERATED_PROTO}/${file}`, readFileSync(path.join(scratch, file), 'utf8'));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Formats what was written with the repository's formatter (and sorts imports), as a person would. */
function format(root: string, files: string[]): void {
  const formattable = files.filter(
    (file) => /\.(?:ts|json|md)$/.test(file) && !file.startsWith(GENERATED_PROTO) && file !== LOCKFILE,
  );
  if (formattable.length === 0) return;
  const biome = createRequire(path.join(root, 'package.json')).resolve('@biomejs/biome/bin/biome');
  runNode(
    'formatting (biome check --write)',
    [biome, 'check', '--write', '--no-errors-on-unmatched', ...formattable],
    root,
  );
}

/** Loads the registry through the contracts package, which refuses an entry it cannot use. */
function validateRegistry(root: string): void {
  runNode(
    `checking ${REGISTRY_FILE} with @pr-canary/contracts`,
    [
      '--conditions=pr-canary-source',
      '--import',
      'tsx',
      '--eval',
      "require('@pr-canary/contracts/services')",
    ],
    root,
  );
}

/** Runs the plan; on any failure (or an interrupt) puts every touched path back. */
export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const root = options.root ?? REPO_ROOT;
  const planned = plan(options);
  const tx = new Transaction(root);
  const onInterrupt = (signal: NodeJS.Signals): never => {
    const stranded = tx.rollback();
    process.stderr.write(
      stranded.length === 0
        ? `new-service: interrupted (${signal}); nothing was changed\n`
        : `new-service: interrupted (${signal}); these could not be put back:\n  ${stranded.join('\n  ')}\n`,
    );
    process.exit(130);
  };
  for (const signal of INTERRUPTS) process.on(signal, onInterrupt);
  try {
    for (const [file, content] of planned.files) tx.write(file, content, { mustBeNew: true });
    for (const [file, content] of planned.updates) tx.write(file, content);
    // What `npm install` would do for a new workspace, without a network or a reinstall.
    tx.link(`node_modules/${packageNameOf(planned.service.name)}`, planned.workspace);
    if (planned.protocol === 'grpc') generateProtoTypes(root, tx);
    format(root, [...tx.created, ...tx.updated]);
    validateRegistry(root);
    const result: ScaffoldResult = {
      service: planned.service,
      protocol: planned.protocol,
      workspace: planned.workspace,
      created: tx.created.sort(),
      updated: tx.updated.sort(),
    };
    tx.commit();
    return result;
  } catch (error) {
    if (error instanceof ScaffoldInterruptedError) onInterrupt(error.signal);
    const stranded = tx.rollback();
    if (stranded.length > 0)
      throw new Error(
        `${(error as Error).message}\nand these could not be put back:\n  ${stranded.join('\n  ')}`,
      );
    throw error;
  } finally {
    for (const signal of INTERRUPTS) process.off(signal, onInterrupt);
  }
}
