// Runs an entry of this package — TypeScript from source in a child node (tsx and the
// `pr-canary-source` condition), or compiled JavaScript in place of this process (process.execve) —
// forwarding arguments, stdio and signals, and exiting with the child's exit code. A child gets an IPC
// channel and the parent-watch preload, so it stops (and stops the stack) even when this shim is killed
// with SIGKILL; an exec'd entry gets the preload too, watching the processes that started it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * Resolves the packages a command needs (name → specifier; file URLs back); without `npm ci` says so
 * instead of a module-not-found trace.
 */
export function resolveDependencies(commandName, specifiers) {
  try {
    return Object.fromEntries(
      Object.entries(specifiers).map(([name, specifier]) => [name, import.meta.resolve(specifier)]),
    );
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    process.stderr.write(
      `${commandName}: the dependencies are not installed. Run \`npm ci\` at the repository root first.\n`,
    );
    process.exit(1);
  }
}

/**
 * turbo's `--filter`s for what `npm start` builds: localdev and every Node service of the service
 * registry (its JSON, read without a build), so a service added to the registry is built by the next
 * `npm start`.
 */
export function stackBuildFilters(commandName) {
  const { registry } = resolveDependencies(commandName, { registry: '@pr-canary/contracts/services.json' });
  const packages = JSON.parse(readFileSync(new URL(registry), 'utf8'))
    .services.filter((service) => service.runtime === 'node')
    .map((service) => service.package);
  return ['@pr-canary/localdev', ...packages].map((name) => `--filter=${name}`);
}

/** turbo's `--filter` for the web UI's production build (the registry's `static` entry), which the stack serves. */
export function webBuildFilters(commandName) {
  const { registry } = resolveDependencies(commandName, { registry: '@pr-canary/contracts/services.json' });
  return JSON.parse(readFileSync(new URL(registry), 'utf8'))
    .services.filter((service) => service.runtime === 'static')
    .map((service) => `--filter=${service.package}`);
}

function runChild(entry, nodeArgs) {
  const child = spawn(process.execPath, [...nodeArgs, entry, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  child.channel?.unref();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
  });
}

/** node's arguments for a TypeScript entry from source (tsx, `pr-canary-source` condition). */
function typeScriptNodeArgs(commandName, preloads) {
  return [
    '--conditions=pr-canary-source',
    ...preloads.flatMap((preload) => ['--import', preload]),
    '--import',
    resolveDependencies(commandName, { tsx: 'tsx' }).tsx,
  ];
}

/** Runs a TypeScript entry from source (tsx, `pr-canary-source` condition). */
export function runTypeScript(relativeEntry, commandName) {
  const { parentWatch } = resolveDependencies(commandName, {
    parentWatch: '@pr-canary/local-kit/parent-watch',
  });
  runChild(
    fileURLToPath(new URL(relativeEntry, import.meta.url)),
    typeScriptNodeArgs(commandName, [parentWatch]),
  );
}

/**
 * Runs a short entry with this process's arguments and resolves to its exit code and the last message
 * it sent over the IPC channel (undefined when it sent none).
 */
function ask(nodeArgs, entry, commandName, output) {
  const child = spawn(process.execPath, [...nodeArgs, entry, ...process.argv.slice(2)], {
    stdio: ['ignore', output, output, 'ipc'],
  });
  let answer;
  child.on('message', (message) => {
    answer = message;
  });
  return new Promise((resolve) => {
    child.once('error', (error) => {
      if (output === 'inherit') process.stderr.write(`${commandName}: ${error.message}\n`);
      resolve({ code: 1, answer: undefined });
    });
    child.once('close', (code, signal) =>
      resolve({ code: code ?? 128 + (constants.signals[signal] ?? 0), answer }),
    );
  });
}

/** {@link ask} for a TypeScript entry from source (tsx), with this process's stdio. */
export function askTypeScript(relativeEntry, commandName) {
  const entry = fileURLToPath(new URL(relativeEntry, import.meta.url));
  return ask(typeScriptNodeArgs(commandName, []), entry, commandName, 'inherit');
}

/**
 * {@link ask} for the compiled form of an entry, silently (its output is not shown); undefined when
 * there is no build of it yet. What it says may be stale (built from older sources).
 */
export function askCompiledQuietly(relativeEntry, commandName) {
  const entry = fileURLToPath(new URL(relativeEntry, import.meta.url));
  return existsSync(entry) ? ask([], entry, commandName, 'ignore') : Promise.resolve(undefined);
}

/**
 * Runs a compiled entry (built by `npm run build`) with source maps for the project's own code.
 *
 * Where Node has `process.execve` (POSIX), this process *becomes* the entry's node: same pid, same
 * stdio, signals and exit code need no forwarding, and no shim stays alive beside it (a second node
 * process is ~50 MB RSS, most of the node binary's own pages). The node flags this shim was started
 * with (e.g. a parent's `--require` preload) are kept. Elsewhere it runs the entry as a child.
 */
export function runCompiled(relativeEntry, commandName) {
  const entry = fileURLToPath(new URL(relativeEntry, import.meta.url));
  const { parentWatch } = resolveDependencies(commandName, {
    parentWatch: '@pr-canary/local-kit/parent-watch',
  });
  const nodeArgs = [
    '--expose-gc', // service-kit's idle memory reducer takes `gc` (and removes the global)
    '--import',
    new URL('./own-source-maps.mjs', import.meta.url).href,
    // Exec'd, the entry has no IPC channel to a shim: parent-watch then watches its ancestors (npm,
    // and the `sh -c` npm runs it in), so a signal to npm alone, or npm killed, still stops it.
    '--import',
    parentWatch,
  ];
  if (typeof process.execve === 'function') {
    process.execve(
      process.execPath,
      [process.execPath, ...process.execArgv, ...nodeArgs, entry, ...process.argv.slice(2)],
      process.env,
    );
  }
  runChild(entry, nodeArgs);
}
