import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { canaryServices } from '@pr-canary/contracts/services';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCanaryFile, parseCanaryFlags } from '../../src/stack/canary-config';

const dir = mkdtempSync(path.join(tmpdir(), 'localdev-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(content: unknown): string {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('canary config', () => {
  it('reads the committed demo file: PR 42 with api + store, PR 7 with store only, versioned after stable', () => {
    const canaries = loadCanaryFile(path.resolve(__dirname, '../../canaries.json'), '0.3.0');
    expect(canaries).toEqual([
      { pr: '42', services: ['api-service', 'store-service'], version: '0.3.0-pr42' },
      { pr: '7', services: ['store-service'], version: '0.3.0-pr7' },
    ]);
  });

  it('parses --canary flags with short service names and an optional version', () => {
    expect(parseCanaryFlags(['42=api,store', '7=store@0.2.0-rc1'], '0.1.0')).toEqual([
      { pr: '42', services: ['api-service', 'store-service'], version: '0.1.0-pr42' },
      { pr: '7', services: ['store-service'], version: '0.2.0-rc1' },
    ]);
  });

  // The services to use instead: every canary service of the registry by its short name (api, store
  // and any that `npm run new-service` added).
  const canaryShorts = canaryServices()
    .map((service) => service.short)
    .join(', ');

  it('offers the canary services by short name: api and store, then any added since', () => {
    expect(canaryShorts).toMatch(/^api, store(, [a-z][a-z0-9-]*)*$/);
  });

  it.each([
    ['a leading zero', ['042=api'], /PR number/],
    ['an unknown service', ['42=cart'], `unknown service; use one of ${canaryShorts} (or their full names)`],
    [
      'a service without canaries',
      ['42=web'],
      `no PR canaries for that service; use one of ${canaryShorts} (`,
    ],
    ['no services', ['42='], /PR=services/],
    ['a duplicate PR', ['42=api', '42=store'], /listed twice/],
    ['a version with spaces', ['42=api@1 0'], /version/],
  ])('rejects a flag with %s', (_name, flags, message) => {
    expect(() => parseCanaryFlags(flags, '0.1.0')).toThrow(message);
  });

  it('reads a regular file only, and not a huge one: npm start reads it twice, and a device never ends', () => {
    expect(() => loadCanaryFile('/dev/zero', '0.1.0')).toThrow(
      'cannot read canaries file /dev/zero: it is not a regular file (a pipe or a device cannot be read twice: save the canaries to a file)',
    );
    const huge = path.join(dir, 'huge.json');
    writeFileSync(huge, `{"canaries":[]${' '.repeat(1 << 20)}}`);
    expect(() => loadCanaryFile(huge, '0.1.0')).toThrow('it is larger than 1048576 bytes');
  });

  it('reads a file saved with a byte-order mark', () => {
    const file = path.join(dir, 'bom.json');
    writeFileSync(file, `\uFEFF${JSON.stringify({ canaries: [{ pr: 42, services: ['api-service'] }] })}`);
    expect(loadCanaryFile(file, '0.1.0').map((canary) => canary.pr)).toEqual(['42']);
  });

  it('names the bad field of an invalid file', () => {
    const file = writeConfig({ canaries: [{ pr: 0, services: ['api-service'] }] });
    expect(() => loadCanaryFile(file, '0.1.0')).toThrow(/canaries\.0\.pr: a PR number/);
  });

  it('refuses a field it does not know (a misspelt version is not silently ignored)', () => {
    const file = writeConfig({ canaries: [{ pr: 42, services: ['api-service'], versoin: '1.0.0' }] });
    expect(() => loadCanaryFile(file, '0.1.0')).toThrow(/canaries\.0: Unrecognized key: "versoin"/);
    expect(() => loadCanaryFile(writeConfig({ canaries: [], extra: 1 }), '0.1.0')).toThrow(
      /Unrecognized key/,
    );
  });
});
