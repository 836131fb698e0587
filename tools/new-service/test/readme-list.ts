/**
 * The root README's "Add your service" tables, read as data so the scaffold test can hold them true:
 * `new-service:writes` (every path the scaffold writes or changes, by protocol) and
 * `new-service:by-hand` (every file a person still edits by hand). A path is written in backticks with
 * `<name>`, `<short>` and `<pkg>` (the proto package: `<short>` with `_` for `-`) for the service, `*`
 * for one path segment and `**` for any number of them.
 */
export interface ListedPath {
  pattern: string;
  protocols: readonly ('http' | 'grpc')[];
}

export interface ServiceSpelling {
  name: string;
  short: string;
  protocol: 'http' | 'grpc';
}

function block(readme: string, marker: string): string {
  const start = readme.indexOf(`<!-- ${marker} `);
  const end = readme.indexOf(`<!-- /${marker} -->`);
  if (start === -1 || end < start)
    throw new Error(`README.md has no <!-- ${marker} --> … <!-- /${marker} --> block`);
  return readme.slice(start, end);
}

/** Table rows of a marked block: the first column's backticked paths and the second column's protocols. */
function rows(readme: string, marker: string): ListedPath[] {
  return block(readme, marker)
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
    .slice(1) // the header row
    .flatMap((line) => {
      const [paths = '', protocols = ''] = line
        .split('|')
        .slice(1)
        .map((cell) => cell.trim());
      const applies =
        protocols === 'both' ? (['http', 'grpc'] as const) : (protocols.split(/,\s*/) as ('http' | 'grpc')[]);
      return [...paths.matchAll(/`([^`]+)`/g)].map((match) => ({
        pattern: match[1] ?? '',
        protocols: applies,
      }));
    });
}

export function pathsTheScaffoldWrites(readme: string): ListedPath[] {
  return rows(readme, 'new-service:writes');
}

export function pathsEditedByHand(readme: string): ListedPath[] {
  return rows(readme, 'new-service:by-hand');
}

/** The listed path as a pattern for one service. */
export function pathPattern(listed: ListedPath, service: ServiceSpelling): RegExp {
  const filled = listed.pattern
    .replaceAll('<name>', service.name)
    .replaceAll('<short>', service.short)
    .replaceAll('<pkg>', service.short.replaceAll('-', '_'));
  const source = filled
    .split(/(\*\*|\*)/)
    .map((part) =>
      part === '**' ? '.+' : part === '*' ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`);
}
