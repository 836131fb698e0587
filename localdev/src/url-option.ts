/**
 * What a URL option (`--url`, `--control`) names: an origin. The commands ask fixed paths of it, so
 * anything else the URL carries — a path, a query, a fragment, credentials — would be dropped without a
 * word: each is refused instead, with the sentence the command prints.
 */
export function originOf(
  raw: string,
  flag: string,
  protocols: readonly ('http:' | 'https:')[],
): { origin: string; url: URL } | { problem: string } {
  const kinds = protocols.map((protocol) => protocol.slice(0, -1)).join(' or ');
  if (!URL.canParse(raw)) return { problem: `${flag} must be an absolute ${kinds} URL` };
  const url = new URL(raw);
  if (!(protocols as readonly string[]).includes(url.protocol))
    return { problem: `${flag} must be ${kinds}` };
  if (url.username !== '' || url.password !== '')
    return { problem: `${flag} must not carry credentials (user:password@): they would not be sent` };
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '')
    return { problem: `${flag} is an origin, without a path (e.g. ${url.origin})` };
  return { origin: url.origin, url };
}
