/**
 * Renders the corpus (three overlays, six PR apps built the Argo CD way) once for the whole run
 * and hands it to every test file, instead of each file paying for the kustomize builds again.
 */
import type { TestProject } from 'vitest/node';
import { type Corpus, loadCorpus } from '../src/corpus';

declare module 'vitest' {
  export interface ProvidedContext {
    corpus: Corpus;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('corpus', await loadCorpus());
}
