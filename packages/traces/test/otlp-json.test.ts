import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { cleanText, LIMITS } from '../src/otlp-json';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('cleanText', () => {
  it('keeps a cut text without the text it was cut from', () => {
    const count = 100;
    const length = 100_000;
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept: string[] = [];
    for (let n = 0; n < count; n++) {
      // A fresh string, as JSON.parse makes one from an export's body.
      const attribute = JSON.parse(JSON.stringify({ value: `${'x'.repeat(length)}${n}` })).value as string;
      kept.push(cleanText(attribute));
    }
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    expect(kept.every((text) => text.length === LIMITS.textLength)).toBe(true);
    // Sharing memory with the originals would keep all of them: count × length bytes (one-byte strings).
    expect(retained).toBeLessThan((count * length) / 4);
  });
});
