#!/usr/bin/env node
// `npm start`: checks its command line (src/cli/start-check.ts, before any build: `--help`, a typo or a bad
// value is answered at once), builds what the stack runs (turbo → tsc, and vite for the web UI
// it serves: incremental and cached, so a no-op when nothing changed), then runs the compiled
// localdev/dist/cli/start.js. The stack spawns every service as compiled JavaScript (dist/server.js), as
// the images do.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  askCompiledQuietly,
  askTypeScript,
  resolveDependencies,
  runCompiled,
  stackBuildFilters,
  webBuildFilters,
} from './run-ts.mjs';

const COMMAND = 'npm start';
const BUILD_NOTICE_AFTER_MS = 1_000;

// npm and its `sh -c` are watched from the start (local-kit's parent-watch): if they go while the command
// line is checked or the build runs, this stops (SIGTERM, below) instead of starting a stack nobody can
// stop, and the runner this process execs into watches the same ancestors.
const { parentWatch, compileCache } = resolveDependencies(COMMAND, {
  parentWatch: '@pr-canary/local-kit/parent-watch',
  compileCache: '@pr-canary/local-kit/compile-cache',
});
/** The build under way, stopped with this process. */
let building;
function stopBuilding() {
  building?.kill('SIGTERM');
  process.exit(143);
}
process.once('SIGTERM', stopBuilding);
await import(parentWatch);

/** Runs the build quietly; prints its output only when it fails, and a notice when it takes a while. */
function build({ buildWeb }) {
  const { turbo } = resolveDependencies(COMMAND, { turbo: 'turbo/bin/turbo' });
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(turbo),
      'run',
      'build',
      ...stackBuildFilters(COMMAND),
      ...(buildWeb ? webBuildFilters(COMMAND) : []),
      '--output-logs=errors-only',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
  );
  building = child;
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk));
  const notice = setTimeout(
    () =>
      process.stderr.write(
        `${COMMAND}: building the services and the web UI (tsc, vite; later starts reuse the build)…\n`,
      ),
    BUILD_NOTICE_AFTER_MS,
  );
  return new Promise((resolve) => {
    child.once('error', (error) => {
      output += String(error);
      resolve(1);
    });
    child.once('close', (code) => {
      clearTimeout(notice);
      if (code !== 0) process.stderr.write(`${output}\n${COMMAND}: the build failed (above)\n`);
      resolve(code ?? 1);
    });
  });
}

// The check answers `--help` and refusals itself (exit code without a plan); a plan says what to build.
// The last build's check answers first (~0.1 s, where tsx takes 0.35–0.7 s) and only a plan is taken
// from it: `--help`, a refusal, a crash or no build at all are answered from the sources, so a build
// older than them never refuses what they accept (and what they refuse, the fresh runner refuses
// after the build).
const built = await askCompiledQuietly('../dist/cli/start-check.js', COMMAND);
const check =
  built?.code === 0 && built.answer !== undefined
    ? built
    : await askTypeScript('../src/cli/start-check.ts', COMMAND);
const code = check.code === 0 && check.answer ? await build(check.answer) : check.code;
if (check.answer && code === 0) {
  // Node's on-disk compile cache, for the runner and (through the environment) every service it starts:
  // later starts skip compiling the services' JavaScript (about a third of their start-up CPU).
  const { useRepositoryCompileCache } = await import(compileCache);
  useRepositoryCompileCache();
  // The runner handles SIGTERM itself (or, without process.execve, the shim forwards it to the runner).
  process.off('SIGTERM', stopBuilding);
  runCompiled('../dist/cli/start.js', COMMAND);
} else {
  process.exitCode = code;
}
