/**
 * The templates on disk, filled in: every placeholder becomes the service's name. A placeholder the
 * formatter rewrote (Markdown reads `__service_name__` as bold and biome writes it `**service_name**`)
 * no longer matches its token and would reach the new service as text.
 */
import { describe, expect, it } from 'vitest';
import { parseServiceName } from '../src/name';
import { PROTOCOLS, renderService } from '../src/templates';

/** The words of every placeholder (`__service_name__` → `service_name`), in any form left behind. */
const PLACEHOLDER_WORDS = /service_name|short_camel|proto_pkg|\b_*Pascal_*\b/;

describe('templates', () => {
  for (const protocol of PROTOCOLS) {
    it(`fill in every placeholder of a ${protocol} service, none left in another form`, () => {
      const service = parseServiceName('scaffold-http-service');
      const files = renderService(service, protocol, 'apps/scaffold-http-service');
      for (const [file, text] of files) {
        expect(file).not.toMatch(PLACEHOLDER_WORDS);
        const left = text.split('\n').find((line) => PLACEHOLDER_WORDS.test(line));
        expect(left, `${file} keeps a placeholder`).toBeUndefined();
      }
      expect(files.get('apps/scaffold-http-service/README.md')?.split('\n')[0]).toBe(
        '# `scaffold-http-service`',
      );
    });
  }
});
