/**
 * The node command line `npm start` runs (the same one the image's ENTRYPOINT runs, held equal by
 * tools/ship-checks): stack traces of the project's own compiled code are source-mapped, but no
 * node_modules source map is loaded — those cost every idle service ~7 MB of RSS (issue 9).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const WORKSPACE = path.resolve(__dirname, '..');
const PROBE = path.join(__dirname, 'fixtures/source-maps-probe.cjs');

function startArgs(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(WORKSPACE, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [command, ...args] = manifest.scripts.start.trim().split(/\s+/);
  expect(command).toBe('node');
  expect(args.at(-1)).toBe('dist/server.js');
  return args.slice(0, -1);
}

describe('the start command', () => {
  it('maps the project’s own compiled frames and loads no node_modules source map', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [...startArgs(), PROBE], {
      cwd: WORKSPACE,
      env: { PATH: process.env.PATH, OTEL_SDK_DISABLED: 'true' },
    });
    expect(JSON.parse(stdout)).toEqual({ library: false, own: true });
  });
});
