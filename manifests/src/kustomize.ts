/** Runs `kubectl kustomize` (Kustomize v5 built into kubectl) and parses its output. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type KubeObject, parseObjects } from './objects';

const run = promisify(execFile);

export class KustomizeError extends Error {
  override name = 'KustomizeError';
}

export async function kustomizeBuild(dir: string): Promise<KubeObject[]> {
  try {
    const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 32 * 1024 * 1024 });
    return parseObjects(stdout, `kustomize build ${dir}`);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new KustomizeError(`kubectl kustomize ${dir} failed: ${stderr || (error as Error).message}`);
  }
}
