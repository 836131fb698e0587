// The repository's on-disk Node compile cache: `npm start` and every root script that runs turbo
// (run-in-group.mjs) set `NODE_COMPILE_CACHE` to it, unless it names a place already, so that every
// Node process they start — vitest workers, tsc, the stack's services — compiles each module's
// JavaScript once instead of in each process (service-kit's register turns the cache on in the
// services; Node itself does in every other process that sees the variable). In node_modules, so a
// fresh `npm ci` starts it afresh. Plain JavaScript: it runs before anything is built.
import { fileURLToPath } from 'node:url';

/** Where the cache is kept unless `NODE_COMPILE_CACHE` says otherwise. */
export const REPOSITORY_COMPILE_CACHE = fileURLToPath(
  new URL('../../node_modules/.cache/node-compile-cache', import.meta.url),
);

/** Points `NODE_COMPILE_CACHE` (when unset or empty) at the repository's cache, for every process started from here on. */
export function useRepositoryCompileCache(env = process.env) {
  if (!env.NODE_COMPILE_CACHE) env.NODE_COMPILE_CACHE = REPOSITORY_COMPILE_CACHE;
}
