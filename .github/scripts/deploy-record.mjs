#!/usr/bin/env node
// The record that says which image of a PR's service is deployable — written by the PR workflow
// once the image is pushed, read by the PR ApplicationSets' git files generator
// (manifests/argocd/applicationsets/pr-*.yaml) from branch `canary-deploy`:
//
//   deploy/pr-<N>/<service>.json  {"deployable": {"pr": "<N>", "service": "<name>", "sha": "<40-hex>", "tag": "pr-<N>-<8-hex>"}}
//
//   node deploy-record.mjs write --dir <checkout of canary-deploy> --services '<json array>' --pr <N> --sha <40-hex>
//     (services without PR canaries, such as web, are skipped)
//   node deploy-record.mjs remove --dir <checkout> --pr <N>   (PR closed: drop all its records)
//
// Argo CD renders `{{.deployable.tag}}` into the image and SERVICE_VERSION, so until CI records a
// new push the canary keeps running the last image that exists.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommand, runAsScript } from './cli.mjs';
import { checkPrNumber, SHORT_SHA_LENGTH } from './image-ref.mjs';
import { serviceNamed } from './services.mjs';

const COMMIT_SHA = /^[0-9a-f]{40}$/;

/** @param {{ pr: string, service: string, sha: string }} input */
export function deployRecord({ pr, service, sha }) {
  checkPrNumber(pr);
  if (!serviceNamed(service).canary) throw new Error(`${service} has no PR canaries`);
  if (!COMMIT_SHA.test(sha)) throw new Error('sha must be a full 40-hex commit SHA');
  return { deployable: { pr, service, sha, tag: `pr-${pr}-${sha.slice(0, SHORT_SHA_LENGTH)}` } };
}

/** @param {string} pr @param {string} service */
export const recordPath = (pr, service) => path.join('deploy', `pr-${checkPrNumber(pr)}`, `${service}.json`);

/** @param {string[]} argv */
function main(argv) {
  const { command, values } = parseCommand(argv, ['dir', 'services', 'pr', 'sha']);
  if (!values.dir || !values.pr) throw new Error('--dir and --pr are required');
  if (command === 'write') {
    const services = JSON.parse(values.services ?? '[]');
    if (!Array.isArray(services)) throw new Error('--services must be a JSON array of service names');
    for (const service of services) {
      if (!serviceNamed(String(service)).canary) continue;
      const record = deployRecord({ pr: values.pr, service: String(service), sha: values.sha ?? '' });
      const file = path.join(values.dir, recordPath(values.pr, record.deployable.service));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
      console.log(`${recordPath(values.pr, record.deployable.service)} → ${record.deployable.tag}`);
    }
  } else if (command === 'remove') {
    rmSync(path.join(values.dir, 'deploy', `pr-${checkPrNumber(values.pr)}`), {
      recursive: true,
      force: true,
    });
  } else {
    throw new Error(
      'usage: deploy-record.mjs write|remove --dir <dir> --pr <N> [--service <name> --sha <sha>]',
    );
  }
}

runAsScript(import.meta.url, 'deploy-record', () => {
  main(process.argv.slice(2));
  return '';
});
