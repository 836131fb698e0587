import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTROL_URL } from '../../src/cli/port-options';
import { banner } from '../../src/cli/start-banner';

const URLS = {
  api: 'http://127.0.0.1:18080',
  grpc: '127.0.0.1:18081',
  dynamodb: undefined,
  web: undefined,
  traces: 'http://127.0.0.1:14318',
  control: 'http://127.0.0.1:18090',
};
const command = (canaries: { pr: string; services: string[] }[]) => ({
  canaries: canaries.map((canary) => ({ ...canary, version: `0.1.0-pr${canary.pr}` })),
  canariesSource: '--canary',
  dataDir: undefined,
  faults: [],
});
const tryLines = (text: string) => text.split('\n').filter((line) => line.startsWith('   npx pr-canary '));

describe("npm start's banner: commands to try against the stack as started", () => {
  it('aims every pr-canary command at the ports it runs on (--control-port 18090, not the default 8090)', () => {
    const text = banner(
      URLS,
      command([{ pr: '42', services: ['api-service', 'store-service'] }]),
      '1.0',
      false,
    );
    const lines = tryLines(text);
    expect(lines.map((line) => line.split(' ').slice(5, 6)[0])).toEqual([
      'probe',
      'trace',
      'analyze',
      'fault',
    ]);
    expect(lines.find((line) => line.includes(' probe '))).toContain('--url http://localhost:18080');
    expect(lines.find((line) => line.includes(' trace '))).toContain('--url http://localhost:14318');
    expect(lines.find((line) => line.includes(' analyze '))).toMatch(
      /^ {3}npx pr-canary analyze --pr 42 --control http:\/\/127\.0\.0\.1:18090 +# /,
    );
    expect(lines.find((line) => line.includes(' fault '))).toMatch(
      /^ {3}npx pr-canary fault 42:store:error-rate=0\.2 --control http:\/\/127\.0\.0\.1:18090 +# /,
    );
  });

  it('shows the data folder with its control characters as ?, never as escape sequences', () => {
    const text = banner(
      { ...URLS, dynamodb: 'http://127.0.0.1:18000' },
      { ...command([]), dataDir: '/tmp/a\u001b[31mb' },
      '1.0',
      false,
    );
    const row = text.split('\n').find((line) => line.includes('data in'));
    expect(row).toMatch(/data in .*a\?\[31mb$/);
    expect(text).not.toContain('\u001b');
  });

  it('leaves out --control when the control endpoint is where the CLI looks by default', () => {
    const text = banner(
      { ...URLS, control: DEFAULT_CONTROL_URL },
      command([{ pr: '42', services: ['api-service', 'store-service'] }]),
      '1.0',
      false,
    );
    expect(tryLines(text).filter((line) => / (analyze|fault) /.test(line))).toEqual([
      expect.stringMatching(/^ {3}npx pr-canary analyze --pr 42 +# PR 42 against stable, per hop$/),
      expect.stringMatching(/^ {3}npx pr-canary fault 42:store:error-rate=0\.2 +# break it on purpose/),
    ]);
  });

  it('breaks a service the PR has a canary of: api for a PR with an api canary only', () => {
    const text = banner(URLS, command([{ pr: '9', services: ['api-service'] }]), '1.0', false);
    const fault = tryLines(text).find((line) => line.includes(' fault '));
    expect(fault).toMatch(/^ {3}npx pr-canary fault 9:api:error-rate=0\.2 /);
    expect(text).not.toContain(':store:');
  });

  it('offers no PR commands for a stable-only stack', () => {
    const lines = tryLines(banner(URLS, command([]), '1.0', false));
    expect(lines.map((line) => line.split(' ')[5])).toEqual(['trace']);
  });
});
