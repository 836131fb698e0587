import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/stack/log-format';

describe('a child output line (parseLine)', () => {
  it('formats a pino line with pino-pretty: level, message, then the fields that are not identity', () => {
    const raw = JSON.stringify({
      level: 30,
      time: 1_700_000_000_000,
      pid: 7,
      hostname: 'h',
      service: 'store-service',
      track: 'pr-42',
      version: '0.1.0',
      msg: 'listening',
      port: 8081,
      address: '127.0.0.1',
    });
    expect(parseLine(raw)).toEqual({
      level: 30,
      text: 'INFO: listening {"port":8081,"address":"127.0.0.1"}',
      json: expect.objectContaining({ msg: 'listening', port: 8081 }),
    });
  });

  it('keeps an error on the same line as JSON, and names levels pino names', () => {
    const raw = JSON.stringify({
      level: 50,
      msg: 'failed',
      err: { type: 'Error', message: 'x', stack: 'Error: x\n    at f' },
    });
    expect(parseLine(raw).text).toBe(
      'ERROR: failed {"err":{"type":"Error","message":"x","stack":"Error: x\\n    at f"}}',
    );
    expect(parseLine(JSON.stringify({ level: 40, msg: 'careful' }))).toMatchObject({
      level: 40,
      text: 'WARN: careful',
    });
  });

  it('cleans what could move or colour the terminal, from JSON and plain lines alike', () => {
    const raw = JSON.stringify({ level: 30, msg: 'a\u001b[31mred\u0007\nnext', field: '\u001b[2J' });
    const { text } = parseLine(raw);
    // No escape, bell or line break survives (a field value is JSON, so its escapes stay text).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting that none is left
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(text).toMatch(/^INFO: a.*red next \{"field":"\\u001b\[2J"\}$/);
    expect(parseLine('plain \u001b[2Jtext\u0000')).toEqual({
      level: undefined,
      text: 'plain text',
      json: undefined,
    });
  });

  it('caps a long line, and passes text that only looks like JSON through as text', () => {
    const long = parseLine(JSON.stringify({ level: 30, msg: 'x'.repeat(5_000) })).text;
    expect(long).toHaveLength(2_001);
    expect(long.endsWith('…')).toBe(true);
    expect(parseLine('{not json')).toEqual({ level: undefined, text: '{not json', json: undefined });
    expect(parseLine('[1,2]').json).toBeUndefined();
  });
});
