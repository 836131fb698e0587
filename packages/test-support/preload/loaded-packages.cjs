/**
 * Preloaded into a service's process after the register (`SERVICE_PRELOAD_REPORTING_PACKAGES`): when
 * the process exits, writes one more JSON line to stdout naming every package it loaded from
 * node_modules (`loadedPackages` reads it), so a test can hold what a real service process loads.
 * Plain CommonJS: it runs as a `--require` before any TypeScript loader.
 */
const { writeSync } = require('node:fs');

const PACKAGE_FILE = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;

process.on('exit', () => {
  const packages = new Set(Object.keys(require.cache).flatMap((file) => PACKAGE_FILE.exec(file)?.[1] ?? []));
  writeSync(1, `${JSON.stringify({ msg: 'loaded packages', packages: [...packages].sort() })}\n`);
});
