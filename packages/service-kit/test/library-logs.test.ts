/**
 * grpc-js's own log lines go through the service logger. A metadata entry it refuses is reported
 * without its value, at most one line per interval (a peer sending a bad entry on every call cannot
 * flood the logs), and a refused `x-canary` is still counted as an invalid key. The refusals are
 * grpc-js's own: its real header reading (`Metadata.fromHttp2Headers`) makes them.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { REFUSED_METADATA_LOG_INTERVAL_MS, routeLibraryLogs } from '../src/library-logs';

interface Line {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

function recordingLogger(level = 'info') {
  const lines: Line[] = [];
  const at = (name: string) => (fields: Record<string, unknown>, msg: string) => {
    lines.push({ level: name, fields, msg });
  };
  return {
    lines,
    logger: { level, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') },
  };
}

/** What grpc-js does with a call's headers as they arrive. */
const receive = (headers: Record<string, string>) => grpc.Metadata.fromHttp2Headers(headers);

afterEach(() => {
  grpc.setLogger(console);
  grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
});

describe('routeLibraryLogs', () => {
  it('reports refused entries without their value, one line per interval saying how many it stands for', () => {
    const { lines, logger } = recordingLogger();
    let clock = 0;
    routeLibraryLogs(logger as never, { now: () => clock });
    for (let i = 0; i < 50; i++) receive({ 'x-fuzz': `secret\u00e9${i}` });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', fields: { lib: 'grpc-js', key: 'x-fuzz' } });
    expect(JSON.stringify(lines)).not.toContain('secret');

    clock += REFUSED_METADATA_LOG_INTERVAL_MS - 1;
    receive({ 'x-fuzz': 'secret\u00e9' });
    expect(lines).toHaveLength(1);
    clock += 1;
    receive({ 'x-other': 'secret\u00e9' });
    expect(lines).toHaveLength(2);
    expect(lines[1]?.fields).toEqual({ lib: 'grpc-js', key: 'x-other', alsoDroppedSinceLastLine: 50 });
  });

  it('counts every refused x-canary entry, logged or not, and only those', () => {
    const { logger } = recordingLogger('silent');
    let refusedKeys = 0;
    routeLibraryLogs(logger as never, { onRefusedCanaryKey: () => refusedKeys++, now: () => 0 });
    for (const value of ['4\t2', '42\u00e9', '\u0664\u0662']) receive({ 'x-canary': value });
    receive({ 'x-fuzz': '4\t2' });
    receive({ 'x-canary': '42' });
    expect(refusedKeys).toBe(3);
  });
});
