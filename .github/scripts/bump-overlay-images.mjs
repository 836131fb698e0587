#!/usr/bin/env node
// Points an environment overlay at a released version.
//
//   node bump-overlay-images.mjs --kustomization manifests/overlays/staging/kustomization.yaml \
//        --owner acme --ref v1.2.3 [--services api-service,store-service,web]
//
// Rewrites the `images:` entries of the given services (matched by image name: `api-service` or
// `<registry>/<owner>/api-service`) to `newName: ghcr.io/<owner>/<service>` and `newTag: <version>`,
// keeping every comment and every other line of the file as it was. A service without an entry is an
// error: the overlay decides which images it pins, this script never invents one.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMap, isSeq, parseDocument } from 'yaml';
import { runAsScript } from './cli.mjs';
import { imageRepository, releaseVersion } from './image-ref.mjs';
import { SERVICES, serviceNamed } from './services.mjs';

/**
 * @param {unknown} imageName
 * @param {string} service
 */
function namesService(imageName, service) {
  return typeof imageName === 'string' && (imageName === service || imageName.endsWith(`/${service}`));
}

/**
 * @param {{ text: string, owner: string, version: string, services: string[] }} input
 * @returns {string} the updated kustomization
 */
export function bumpImages({ text, owner, version, services }) {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`kustomization is not valid YAML: ${doc.errors[0]?.message}`);
  const images = doc.get('images');
  if (!isSeq(images)) throw new Error('kustomization has no images: list');
  for (const service of services.map((name) => serviceNamed(name).name)) {
    const entries = images.items.filter((item) => isMap(item) && namesService(item.get('name'), service));
    if (entries.length === 0) throw new Error(`kustomization has no images entry for ${service}`);
    for (const entry of entries) {
      if (!isMap(entry)) continue;
      entry.set('newName', imageRepository(owner, service));
      entry.set('newTag', version);
      entry.delete('digest');
    }
  }
  return doc.toString();
}

/** @param {string[]} argv */
export function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      kustomization: { type: 'string' },
      owner: { type: 'string' },
      ref: { type: 'string' },
      services: { type: 'string', default: SERVICES.map((service) => service.name).join(',') },
    },
  });
  if (!values.kustomization || !values.owner || !values.ref) {
    throw new Error('usage: bump-overlay-images.mjs --kustomization <file> --owner <owner> --ref <vX.Y.Z>');
  }
  const text = readFileSync(values.kustomization, 'utf8');
  const updated = bumpImages({
    text,
    owner: values.owner,
    version: releaseVersion(values.ref),
    services: values.services.split(',').filter((name) => name !== ''),
  });
  writeFileSync(values.kustomization, updated);
  return updated === text ? 'unchanged' : 'updated';
}

runAsScript(import.meta.url, 'bump-overlay-images', () => main(process.argv.slice(2)));
