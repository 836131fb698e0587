#!/usr/bin/env node
// Image names and tags, one definition for the PR, release and cleanup workflows.
//
//   node image-ref.mjs pr --owner <owner> --service <name> --pr <N> --sha <40-hex>
//     → ghcr.io/<owner>/<service>:pr-<N>-<8-hex>   (the tag CI pushes and records:
//       8 hex of the commit; the PR ApplicationSets render the recorded one, deploy-record.mjs)
//   node image-ref.mjs release --owner <owner> --service <name> --ref <vX.Y.Z>
//     → ghcr.io/<owner>/<service>:X.Y.Z
//   node image-ref.mjs pr-prefix --pr <N>  → pr-<N>-   (what cleanup matches on)
//   node image-ref.mjs version --ref <vX.Y.Z> → X.Y.Z
//   node image-ref.mjs pr-number --pr <N>  → N, or exit 2 when it is not a PR number (for shell scripts)
import { readFileSync } from 'node:fs';
import { parseCommand, runAsScript } from './cli.mjs';
import { serviceNamed } from './services.mjs';

const REGISTRY = 'ghcr.io';
/** Argo CD's Pull Request generator `head_short_sha` is the first 8 characters of the head commit. */
export const SHORT_SHA_LENGTH = 8;

/** The PR grammar of the canary key, read as data from the contracts (as services.mjs reads the registry). */
const PR_NUMBER = new RegExp(
  `^${JSON.parse(readFileSync(new URL('../../packages/contracts/src/pr-number.json', import.meta.url), 'utf8')).pattern}$`,
);
const COMMIT_SHA = /^[0-9a-f]{40}$/;
// GitHub owner names: alphanumerics and single hyphens, no leading/trailing hyphen, at most 39 chars.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
// Semantic version 2.0.0 (https://semver.org), with the conventional leading "v" on the git tag.
const RELEASE_REF =
  /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/;

/** @param {string} pr */
export function checkPrNumber(pr) {
  if (!PR_NUMBER.test(pr)) throw new Error('PR number must be 1-999999999 without leading zeros');
  return pr;
}

/**
 * @param {string} owner
 * @param {string} service
 */
export function imageRepository(owner, service) {
  if (!OWNER.test(owner)) throw new Error('owner is not a valid GitHub user or organisation name');
  // Registries require lowercase repository names; GitHub owners are case-insensitive.
  return `${REGISTRY}/${owner.toLowerCase()}/${serviceNamed(service).image}`;
}

/** @param {{ pr: string, sha: string }} opts */
export function prImageTag({ pr, sha }) {
  checkPrNumber(pr);
  if (!COMMIT_SHA.test(sha)) throw new Error('commit SHA must be 40 lowercase hex characters');
  return `${prTagPrefix(pr)}${sha.slice(0, SHORT_SHA_LENGTH)}`;
}

/** @param {string} pr */
export function prTagPrefix(pr) {
  return `pr-${checkPrNumber(pr)}-`;
}

/**
 * `v1.2.3` → `1.2.3`; anything that is not a semantic version tag is refused.
 * @param {string} ref
 */
export function releaseVersion(ref) {
  const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : ref;
  if (!RELEASE_REF.test(tag)) throw new Error('release tag must look like v1.2.3 or v1.2.3-rc.1');
  return tag.slice(1);
}

/** @param {string[]} argv */
export function main(argv) {
  const { command, values } = parseCommand(argv, ['owner', 'service', 'pr', 'sha', 'ref']);
  const need = (/** @type {keyof typeof values} */ key) => {
    const value = values[key];
    if (typeof value !== 'string' || value === '') throw new Error(`--${key} is required for "${command}"`);
    return value;
  };
  switch (command) {
    case 'pr':
      return `${imageRepository(need('owner'), need('service'))}:${prImageTag({ pr: need('pr'), sha: need('sha') })}`;
    case 'release':
      return `${imageRepository(need('owner'), need('service'))}:${releaseVersion(need('ref'))}`;
    case 'pr-prefix':
      return prTagPrefix(need('pr'));
    case 'pr-number':
      return checkPrNumber(need('pr'));
    case 'version':
      return releaseVersion(need('ref'));
    default:
      throw new Error('usage: image-ref.mjs pr|release|pr-prefix|pr-number|version [options]');
  }
}

runAsScript(import.meta.url, 'image-ref', () => main(process.argv.slice(2)));
