import { describe, expect, it } from 'vitest';
import {
  entryCovers,
  normalizeOrigin,
  originOfUrl,
  permissionPatternsFor,
  schemesOf,
  unusedPermissionPatterns,
  urlConditionFor,
  urlFilterFor,
} from '../src/origin';

describe('normalizeOrigin', () => {
  it.each([
    ['https://api.example.com', 'https://api.example.com'],
    ['  HTTPS://API.Example.COM/path?q=1#x ', 'https://api.example.com'],
    ['http://localhost:3000/', 'http://localhost:3000'],
    ['https://example.com:443', 'https://example.com'],
    ['http://example.com:80/x', 'http://example.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:9000', 'http://[::1]:9000'],
    ['https://*.Example.com/path', 'https://*.example.com'],
    ['http://*.localhost:8080', 'http://*.localhost:8080'],
  ])('accepts %j as %s', (input, origin) => {
    expect(normalizeOrigin(input)).toEqual({ ok: true, origin });
  });

  // What PR comments and READMEs tend to say: a host without a scheme.
  it.each([
    ['api.int-001.example.com', 'https://api.int-001.example.com', 'https'],
    ['api.example.com:8443/api/route', 'https://api.example.com:8443', 'https'],
    ['*.int-001.example.com', 'https://*.int-001.example.com', 'https'],
    ['localhost:8080', 'http://localhost:8080', 'http'],
    ['127.0.0.1:8080', 'http://127.0.0.1:8080', 'http'],
    ['app.localhost:5173', 'http://app.localhost:5173', 'http'],
    ['[::1]:9000', 'http://[::1]:9000', 'http'],
  ])('accepts the bare host %j as %s, saying which scheme it assumed', (input, origin, scheme) => {
    expect(normalizeOrigin(input)).toEqual({ ok: true, origin, assumedScheme: scheme });
  });
  it.each([
    ['', 'Enter an origin'],
    ['ftp://example.com', 'Only http:// and https://'],
    ['chrome://extensions', 'Only http:// and https://'],
    ['javascript:alert(1)', 'Only http:// and https://'],
    ['https://*', 'A wildcard must be followed by a domain'],
    ['https://*.com', 'A wildcard must be followed by a domain'],
    ['https://api.*.example.com', 'A wildcard can only start the host name'],
    ['https://a*.example.com', 'A wildcard can only start the host name'],
    ['https://*.*.example.com', 'A wildcard can only start the host name'],
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
  // http pairs with ws, https with wss, same host and port; a host that merely contains "http" is left alone.
  it.each([
    ['http://localhost:3000', 'ws://localhost:3000'],
    ['https://api.example.com', 'wss://api.example.com'],
    ['https://*.example.com:8443', 'wss://*.example.com:8443'],
    ['http://http.example', 'ws://http.example'],
  ])('pairs %s with its WebSocket scheme %s, in the rules and the permissions asked for', (entry, ws) => {
    expect(schemesOf(entry)).toEqual([entry, ws]);
    expect(permissionPatternsFor(entry)).toEqual([`${entry}/*`, `${ws}/*`]);
  });

  it('has no WebSocket twin for anything but http(s)', () => {
    expect(() => schemesOf('ws://localhost:3000')).toThrow();
  });

  it('gives back both schemes of a removed entry, and nothing required or still chosen', () => {
    const granted = [
      'http://localhost:3000/*',
      'ws://localhost:3000/*',
      'https://api.example.com/*',
      'wss://api.example.com/*',
      'http://127.0.0.1:8080/*',
    ];
    expect(unusedPermissionPatterns(granted, [], ['https://api.example.com'])).toEqual([
      'http://localhost:3000/*',
      'ws://localhost:3000/*',
      'http://127.0.0.1:8080/*',
    ]);
    expect(unusedPermissionPatterns(granted, ['http://127.0.0.1:8080/*'], ['http://localhost:3000'])).toEqual(
      ['https://api.example.com/*', 'wss://api.example.com/*'],
    );
    expect(unusedPermissionPatterns(granted, [], [])).toEqual(granted);
  });

  it('anchors the URL filter on scheme, host and port, closed by the path slash', () => {
    expect(urlFilterFor('http://127.0.0.1:8080')).toBe('|http://127.0.0.1:8080/');
  });

  it('matches a wildcard with requestDomains, pinning scheme and port with a regex', () => {
    expect(urlConditionFor('https://*.example.com')).toEqual({
      requestDomains: ['example.com'],
      regexFilter: '^https://([a-z0-9_-]+\\.)*example\\.com/',
    });
    expect(urlConditionFor('http://*.localhost:8080')).toEqual({
      requestDomains: ['localhost'],
      regexFilter: '^http://([a-z0-9_-]+\\.)*localhost:8080/',
    });
    expect(urlConditionFor('http://127.0.0.1:8080')).toEqual({ urlFilter: '|http://127.0.0.1:8080/' });
    expect(permissionPatternsFor('https://*.example.com')).toEqual([
      'https://*.example.com/*',
      'wss://*.example.com/*',
    ]);
  });

  it('selects WebSocket URLs by their own scheme', () => {
    expect(urlConditionFor('ws://127.0.0.1:8080')).toEqual({ urlFilter: '|ws://127.0.0.1:8080/' });
    expect(urlConditionFor('wss://*.example.com')).toEqual({
      requestDomains: ['example.com'],
      regexFilter: '^wss://([a-z0-9_-]+\\.)*example\\.com/',
    });
  });

  it('says which request origins an entry covers', () => {
    const wildcard = 'https://*.example.com';
    expect(entryCovers(wildcard, 'https://api.example.com')).toBe(true);
    expect(entryCovers(wildcard, 'https://a.b.example.com')).toBe(true);
    expect(entryCovers(wildcard, 'https://example.com')).toBe(true);
    expect(entryCovers(wildcard, 'http://api.example.com')).toBe(false);
    expect(entryCovers(wildcard, 'https://api.example.com:8443')).toBe(false);
    expect(entryCovers(wildcard, 'https://notexample.com')).toBe(false);
    expect(entryCovers(wildcard, 'https://example.com.evil')).toBe(false);
    expect(entryCovers('http://localhost:8080', 'http://localhost:8080')).toBe(true);
    expect(entryCovers('http://localhost:8080', 'http://localhost:3000')).toBe(false);
  });

  it('reads the origin of a tab URL, and nothing for non-web URLs', () => {
    expect(originOfUrl('http://localhost:5173/items?q=*')).toBe('http://localhost:5173');
    expect(originOfUrl('chrome://newtab/')).toBeUndefined();
    expect(originOfUrl('not a url')).toBeUndefined();
    expect(originOfUrl(undefined)).toBeUndefined();
  });
});
