import { describe, expect, it } from 'vitest';
import { addressedToThisMachine } from '../src/local-host';

describe('addressedToThisMachine', () => {
  it.each([
    ['localhost:8090', true],
    ['LOCALHOST', true],
    ['127.0.0.1:8090', true],
    ['[::1]:8090', true],
    ['localhost.:8090', true],
    ['evil.example:8090', false],
    ['127.0.0.1.nip.io', false],
    ['', false],
  ])('Host %j is this machine: %s', (host, expected) => {
    expect(addressedToThisMachine(host, '127.0.0.1')).toBe(expected);
  });

  it('takes the address the server listens on, and no Host at all is nobody', () => {
    expect(addressedToThisMachine('10.1.2.3:9090', '10.1.2.3')).toBe(true);
    expect(addressedToThisMachine('[fd00::1]:9090', 'fd00::1')).toBe(true);
    expect(addressedToThisMachine('10.1.2.3:9090')).toBe(false);
    expect(addressedToThisMachine(undefined, '127.0.0.1')).toBe(false);
  });
});
