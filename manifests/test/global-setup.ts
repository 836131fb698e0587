/**
 * Renders the corpus (three overlays, four PR apps and every stable Application built the Argo CD way) once for the whole run
 * and hands it to every test file, instead of each file paying for the kustomize builds again; and
 * reads the upstream CRDs (2 MB of YAML, hashes checked) once. Where the CRDs are missing or differ,
 * the reason is handed on instead, so the tests that need them fail with it (naming the fetch
 * script) and the others still run.
 */
import type { TestProject } from 'vitest/node';
import { type Corpus, loadCorpus } from '../src/corpus';
import { CrdsUnavailableError, type CrdVersion, loadCrdVersions } from '../src/crds';

declare module 'vitest' {
  export interface ProvidedContext {
    corpus: Corpus;
    crds: { versions: CrdVersion[] } | { unavailable: string };
  }
}

function readCrds(): { versions: CrdVersion[] } | { unavailable: string } {
  try {
    return { versions: loadCrdVersions() };
  } catch (error) {
    if (error instanceof CrdsUnavailableError) return { unavailable: error.message };
    throw error;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const corpus = loadCorpus();
  project.provide('crds', readCrds());
  project.provide('corpus', await corpus);
}
