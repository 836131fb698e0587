#!/usr/bin/env node
// Which container package versions belong to a closed PR?
//
//   gh api --paginate /orgs/acme/packages/container/api-service/versions \
//       --jq '.[] | {id, tags: .metadata.container.tags}' | node pr-image-versions.mjs --pr 42
//
// Prints the ids (one per line) of versions whose tags are all `pr-42-…`. A version that also carries
// another tag (a release, or another PR's tag pointing at the same digest) is kept, and so are
// untagged versions: deleting those is the registry's retention policy, not this PR's cleanup.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runAsScript } from './cli.mjs';
import { prTagPrefix } from './image-ref.mjs';

/**
 * @param {{ ndjson: string, pr: string }} input
 * @returns {string[]}
 */
export function prVersionIds({ ndjson, pr }) {
  const prefix = prTagPrefix(pr);
  /** @type {string[]} */
  const ids = [];
  for (const line of ndjson.split('\n')) {
    if (line.trim() === '') continue;
    const version = JSON.parse(line);
    const tags = Array.isArray(version.tags) ? version.tags : [];
    const onlyThisPr =
      tags.length > 0 &&
      tags.every((/** @type {unknown} */ tag) => typeof tag === 'string' && tag.startsWith(prefix));
    if (!onlyThisPr) continue;
    if (!/^[0-9]+$/.test(String(version.id))) throw new Error('package version id is not numeric');
    ids.push(String(version.id));
  }
  return ids;
}

/**
 * @param {string[]} argv
 * @param {string} stdin
 */
export function main(argv, stdin) {
  const { values } = parseArgs({ args: argv, options: { pr: { type: 'string' } } });
  if (!values.pr) throw new Error('--pr is required');
  return prVersionIds({ ndjson: stdin, pr: values.pr });
}

runAsScript(import.meta.url, 'pr-image-versions', () =>
  main(process.argv.slice(2), readFileSync(0, 'utf8'))
    .map((id) => `${id}\n`)
    .join(''),
);
