#!/usr/bin/env node
// `npm run generate -w @pr-canary/proto`: the TypeScript types of every contract, from every .proto
// in this folder (found, not listed, so a new service's contract needs no edit here) plus the standard
// grpc.health.v1 as grpc-health-check ships it, into src/generated (git-ignored; the turbo task
// `generate` runs this, uncached, before every build, typecheck and test). `--outDir=<dir>` writes
// elsewhere (the contract test compares a fresh run with src/generated).
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const NOT_CONTRACTS = new Set(['node_modules', 'src', 'dist', 'test']);
/** The loader options in src/index.ts must match these flags, so the generated types are true. */
export const GENERATOR_FLAGS = [
  '--longs=Number',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--grpcLib=@grpc/grpc-js',
];

/** Every .proto under this folder, as paths relative to it (sorted, `/`-separated). */
export function contractFiles(dir = ROOT, prefix = '') {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      if (entry.isDirectory())
        return NOT_CONTRACTS.has(entry.name) && prefix === ''
          ? []
          : contractFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      return entry.name.endsWith('.proto') ? [`${prefix}${entry.name}`] : [];
    })
    .sort();
}

/**
 * grpc.health.v1 as the gRPC maintainers ship it, from the hoisted grpc-health-check (the path is written
 * into the generated files, so it is given relative to this folder).
 */
const HEALTH_INCLUDE = '../node_modules/grpc-health-check/proto';
const HEALTH_PROTO = 'health/v1/health.proto';

const GENERATED = path.join(ROOT, 'src/generated');

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir, prefix = '') {
  if (!existsSync(path.join(dir, prefix))) return [];
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(dir, `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

/** Runs the generator into `outDir`. */
function runGenerator(outDir) {
  const generator = createRequire(import.meta.url).resolve(
    '@grpc/proto-loader/build/bin/proto-loader-gen-types.js',
  );
  execFileSync(
    process.execPath,
    [
      generator,
      ...GENERATOR_FLAGS,
      '--includeDirs',
      '.',
      HEALTH_INCLUDE,
      `--outDir=${outDir}`,
      ...contractFiles(),
      HEALTH_PROTO,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/**
 * src/generated holds nothing but this output, and ends up holding exactly it: the types of a contract
 * that was taken out go (the generator itself only ever adds files), and a file whose content is the
 * same is not rewritten, so the builds and the compiled-test setup that compare times see no change.
 * Another --outDir gets the files as the generator writes them, and keeps whatever else it holds.
 */
export function generate(outDir = GENERATED) {
  if (outDir !== GENERATED) return runGenerator(outDir);
  const scratch = mkdtempSync(path.join(tmpdir(), 'proto-generate-'));
  try {
    runGenerator(scratch);
    const fresh = new Set(filesUnder(scratch));
    for (const file of filesUnder(GENERATED)) {
      if (!fresh.has(file)) rmSync(path.join(GENERATED, file));
    }
    for (const file of fresh) {
      const text = readFileSync(path.join(scratch, file), 'utf8');
      const target = path.join(GENERATED, file);
      if (existsSync(target) && readFileSync(target, 'utf8') === text) continue;
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, text);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outArg = process.argv.slice(2).find((arg) => arg.startsWith('--outDir='));
  generate(outArg ? path.resolve(outArg.slice('--outDir='.length)) : undefined);
}
