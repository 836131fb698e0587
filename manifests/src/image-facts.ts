/**
 * What the manifests must agree with about each image, read from its Dockerfile (the runtime stage,
 * i.e. after the last FROM; the Node services share the root recipe): the uid it runs as, the ports it exposes, for nginx images the ports the
 * server config listens on (and where stub_status is), and the paths it writes to at run time.
 * Dockerfiles belong to the apps; this only reads them (with ship-checks' Dockerfile reader, the
 * repository's one), so a change there that the manifests do not follow fails the checks instead of a
 * pod in the cluster.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DockerfileError,
  finalStage,
  instructionsOf,
  parseDockerfile as readDockerfile,
  type Stage,
} from '@pr-canary/ship-checks/dockerfile';
import { REPO_ROOT } from './layout';
import { SERVICES, type ServiceEntry } from './services';

export interface ListenDirective {
  /** Bind address, e.g. 127.0.0.1; undefined = all interfaces. */
  address?: string;
  port: number;
}

export interface ImageFacts {
  dockerfile: string;
  /** The runtime stage's base image, ARG defaults resolved. */
  baseImage: string;
  user?: { uid: number; gid?: number };
  exposedPorts: number[];
  /** nginx `listen` directives of the server blocks the image writes (empty for non-nginx images). */
  listens: ListenDirective[];
  /** Where nginx serves stub_status (undefined when it does not). */
  stubStatus?: ListenDirective;
  /** nginx's html `root` of the server on the open port (undefined for non-nginx images). */
  htmlRoot?: string;
  /** Paths the image writes to at run time, which a read-only root filesystem must mount writable. */
  writablePaths: string[];
}

export { DockerfileError };

/** nginx-unprivileged keeps its pid file and temp paths under /tmp (its nginx.conf). */
const WRITES_BY_BASE_IMAGE: readonly { image: RegExp; paths: string[] }[] = [
  { image: /(^|\/)nginx-unprivileged:/, paths: ['/tmp'] },
];

function parseListen(value: string): ListenDirective {
  const [, address, port] = /^(?:([^\s:]+):)?(\d+)$/.exec(value) ?? [];
  if (port === undefined) throw new DockerfileError(`unsupported nginx listen value "${value}"`);
  return address === undefined ? { port: Number(port) } : { address, port: Number(port) };
}

/** Top-level `server { … }` blocks of an nginx config (closed by a `}` at the start of a line). */
function serverBlocks(text: string): string[] {
  return [...text.matchAll(/^server\s*\{([\s\S]*?)^\}/gm)].map((m) => m[1] ?? '');
}

/** The runtime stage (after the last FROM) of a Dockerfile, read with ship-checks' Dockerfile reader. */
export function parseDockerfile(text: string, dockerfile: string): ImageFacts {
  let runtime: Stage;
  try {
    runtime = finalStage(readDockerfile(text));
  } catch (error) {
    if (error instanceof DockerfileError) throw new DockerfileError(`${dockerfile}: ${error.message}`);
    throw error;
  }
  const baseImage = runtime.from;
  const user = /^(\d+)(?::(\d+))?$/.exec(instructionsOf(runtime, 'USER').at(-1)?.args ?? '');
  const listens: ListenDirective[] = [];
  let stubStatus: ListenDirective | undefined;
  let htmlRoot: string | undefined;
  const heredocs = runtime.instructions.flatMap((instruction) => instruction.heredocs);
  for (const block of heredocs.flatMap(serverBlocks)) {
    const blockListens = [...block.matchAll(/^\s*listen\s+([^\s;]+)[^;]*;/gm)].map((m) =>
      parseListen(m[1] ?? ''),
    );
    listens.push(...blockListens);
    if (/^\s*stub_status\s*;/m.test(block)) stubStatus = blockListens[0];
    htmlRoot ??= /^\s*root\s+([^\s;]+)\s*;/m.exec(block)?.[1];
  }
  return {
    dockerfile,
    baseImage,
    user: user
      ? { uid: Number(user[1]), ...(user[2] === undefined ? {} : { gid: Number(user[2]) }) }
      : undefined,
    exposedPorts: instructionsOf(runtime, 'EXPOSE').flatMap((expose) =>
      expose.args.split(' ').map((port) => Number(port.replace(/\/tcp$/, ''))),
    ),
    listens,
    stubStatus,
    htmlRoot,
    writablePaths: WRITES_BY_BASE_IMAGE.filter((w) => w.image.test(baseImage)).flatMap((w) => w.paths),
  };
}

/** The root Dockerfile, the one recipe every Node service is built from (build argument SERVICE); web's own. */
export function dockerfileOf(service: Pick<ServiceEntry, 'workspace' | 'runtime'>): string {
  return service.runtime === 'node' ? 'Dockerfile' : path.join(service.workspace, 'Dockerfile');
}

/** The image facts of every registered service, by service name. */
export function loadImageFacts(): Record<string, ImageFacts> {
  return Object.fromEntries(
    SERVICES.map((service) => {
      const file = dockerfileOf(service);
      return [service.name, parseDockerfile(readFileSync(path.join(REPO_ROOT, file), 'utf8'), file)];
    }),
  );
}
