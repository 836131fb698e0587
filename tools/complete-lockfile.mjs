#!/usr/bin/env node
// Adds lockfile entries for platform-specific optional binaries that the registry this lockfile was
// written against did not serve (our build machines' npm mirror serves only the linux builds of
// @biomejs/cli-*, @bufbuild/buf-* and @turbo/*). npm omits such packages from package-lock.json, and
// `npm ci` then refuses the lockfile as out of sync. The entries carry the os/cpu/libc of each binary,
// so npm skips them on other platforms and fetches them by name@version where they apply.
//
// Run after any `npm install`:  node tools/complete-lockfile.mjs   (idempotent; --check only reports)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const lockPath = path.join(root, 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const checkOnly = process.argv.includes('--check');

const OS = {
  android: 'android',
  darwin: 'darwin',
  linux: 'linux',
  win32: 'win32',
  windows: 'win32',
  freebsd: 'freebsd',
};
const CPU = { x64: 'x64', 64: 'x64', arm64: 'arm64', armv7: 'arm', arm: 'arm', ia32: 'ia32' };

/** Platform of a binary package from its name, e.g. `@biomejs/cli-linux-x64-musl` → linux/x64/musl. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.map((p) => OS[p]).find(Boolean);
  const cpu = parts.map((p) => CPU[p]).find(Boolean);
  if (!os || !cpu) return undefined;
  return { os: [os], cpu: [cpu], ...(parts.includes('musl') ? { libc: ['musl'] } : {}) };
}

/** Whether node's lookup from `location` (walking up through node_modules folders) finds `dep`. */
function resolvesFrom(location, dep) {
  let dir = location;
  for (;;) {
    if (lock.packages[`${dir ? `${dir}/` : ''}node_modules/${dep}`]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

const added = [];
for (const [location, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolvesFrom(location, dep)) continue;
    const depLocation = `node_modules/${dep}`;
    if (lock.packages[depLocation]) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    added.push(dep);
    if (!checkOnly) lock.packages[depLocation] = { version, dev: entry.dev, optional: true, ...platform };
  }
}

if (checkOnly) {
  if (added.length) {
    console.error(`package-lock.json lacks ${added.length} platform binaries: ${added.join(', ')}`);
    console.error('run: node tools/complete-lockfile.mjs');
    process.exit(1);
  }
  console.log('package-lock.json lists every platform binary');
} else {
  if (added.length) {
    const sorted = Object.fromEntries(
      Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
    );
    lock.packages = sorted;
    writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  }
  console.log(added.length ? `added ${added.length}: ${added.join(', ')}` : 'nothing to add');
}
