/**
 * The runner's output when its reader falls behind (`npm start | less` paused, a slow `tee`, a
 * backed-up CI log collector): Node buffers every write it cannot pass on yet, without limit, so a
 * burst of failure lines grew the runner by hundreds of MB while nobody read them. Past
 * `maxPendingBytes` waiting, lines are dropped and counted; once the reader catches up, one line says
 * how many.
 */
import type { Writable } from 'node:stream';

/** 1 MiB: thousands of lines, more than any terminal scrolls back through in a burst. */
export const MAX_PENDING_OUTPUT_BYTES = 1024 * 1024;

export function boundedOutput(
  stream: Writable,
  maxPendingBytes: number = MAX_PENDING_OUTPUT_BYTES,
): (text: string) => void {
  let dropped = 0;
  stream.on('drain', () => {
    if (dropped === 0) return;
    const count = dropped;
    dropped = 0;
    stream.write(`… ${count} line(s) dropped here: the output was not read as fast as the stack wrote it\n`);
  });
  return (text) => {
    if (stream.writableLength > maxPendingBytes) dropped++;
    else stream.write(text);
  };
}
