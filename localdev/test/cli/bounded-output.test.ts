import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { boundedOutput } from '../../src/cli/bounded-output';

/** A reader that takes nothing until released, then everything: what a paused `less` or a stalled pipe is. */
function stalledReader() {
  const received: string[] = [];
  const held: (() => void)[] = [];
  let stalled = true;
  const stream = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk.toString());
      if (stalled) held.push(done);
      else done();
    },
  });
  const release = () => {
    stalled = false;
    for (const done of held.splice(0)) done();
  };
  return { stream, received, release };
}

describe('boundedOutput', () => {
  it('drops lines past the limit while the reader is stalled, and says how many once it catches up', async () => {
    const { stream, received, release } = stalledReader();
    const write = boundedOutput(stream, 1_000);
    for (let n = 0; n < 500; n++) write(`line ${n} ${'x'.repeat(40)}\n`);
    expect(stream.writableLength).toBeLessThan(1_100);
    const drained = new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    release();
    await drained;
    await new Promise<void>((resolve) => setImmediate(resolve));
    const lines = received.join('').trimEnd().split('\n');
    const kept = lines.filter((line) => line.startsWith('line '));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(500);
    expect(lines.at(-1)).toBe(
      `… ${500 - kept.length} line(s) dropped here: the output was not read as fast as the stack wrote it`,
    );
    // Once caught up, every line goes through again.
    write('after\n');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(received.at(-1)).toBe('after\n');
  });

  it('passes every line on while the reader keeps up', async () => {
    const received: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk.toString());
        done();
      },
    });
    const write = boundedOutput(stream, 1_000);
    for (let n = 0; n < 500; n++) {
      write(`line ${n}\n`);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(received).toHaveLength(500);
  });
});
