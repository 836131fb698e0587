import { Writable } from 'node:stream';

/**
 * A log destination (a pino `destination`, or any writer of one JSON object per write) that keeps
 * each line parsed, for tests about what a service logs.
 */
export function logLines(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}
