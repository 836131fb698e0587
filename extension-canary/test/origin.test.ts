import { describe, expect, it } from 'vitest';
import { normalizeOrigin, originOfUrl, permissionPatternFor, urlFilterFor } from '../src/origin';

describe('normalizeOrigin', () => {
  it.each([
    ['https://api.example.com', 'https://api.example.com'],
    ['  HTTPS://API.Example.COM/path?q=1#x ', 'https://api.example.com'],
    ['http://localhost:3000/', 'http://localhost:3000'],
    ['https://example.com:443', 'https://example.com'],
    ['http://example.com:80/x', 'http://example.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:9000', 'http://[::1]:9000'],
  ])('accepts %j as %s', (input, origin) => {
    expect(normalizeOrigin(input)).toEqual({ ok: true, origin });
  });

  it.each([
    ['', 'Enter an origin'],
    ['api.example.com', 'Start the origin with http:// or https://'],
    ['ftp://example.com', 'Only http:// and https://'],
    ['chrome://extensions', 'Only http:// and https://'],
    ['https://*.example.com', 'Wildcards are not allowed'],
    ['https://user:secret@example.com', 'user name or password'],
    ['https://exa mple.com', 'not a valid origin'],
    [`https://${'a'.repeat(3000)}.com`, 'too long'],
  ])('refuses %j', (input, message) => {
    const result = normalizeOrigin(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toContain(message);
  });

  it('never echoes the input in its messages', () => {
    const result = normalizeOrigin('https://user:hunter2@example.com');
    expect(result.ok ? '' : result.message).not.toContain('hunter2');
  });
});

describe('per-origin filters', () => {
  it('keeps the port in the permission pattern', () => {
    expect(permissionPatternFor('http://localhost:3000')).toBe('http://localhost:3000/*');
    expect(permissionPatternFor('https://api.example.com')).toBe('https://api.example.com/*');
  });

  it('anchors the URL filter on scheme, host and port, closed by the path slash', () => {
    expect(urlFilterFor('http://127.0.0.1:8080')).toBe('|http://127.0.0.1:8080/');
  });

  it('reads the origin of a tab URL, and nothing for non-web URLs', () => {
    expect(originOfUrl('http://localhost:5173/items?q=*')).toBe('http://localhost:5173');
    expect(originOfUrl('chrome://newtab/')).toBeUndefined();
    expect(originOfUrl('not a url')).toBeUndefined();
    expect(originOfUrl(undefined)).toBeUndefined();
  });
});
