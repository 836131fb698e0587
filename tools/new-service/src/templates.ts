/**
 * The service templates (../templates): real, formatted source with placeholders, so they read (and
 * lint) like the code they become. `common/` goes into every service, `http/` or `grpc/` by protocol,
 * `proto/` (gRPC only) into the proto workspace. A placeholder is a whole token: `__service_name__`
 * (billing-service), `__short__` (billing), `__Pascal__` (Billing), `__short_camel__` (billing),
 * `__proto_pkg__` (billing); it may appear in file paths too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ServiceName } from './name';

export type Protocol = 'http' | 'grpc';
export const PROTOCOLS: readonly Protocol[] = ['http', 'grpc'];

export const TEMPLATES_DIR = path.resolve(__dirname, '../templates');

/** Repository path → content. */
export type FileSet = Map<string, string>;

function placeholders(service: ServiceName): [RegExp, string][] {
  return [
    [/__service_name__/g, service.name],
    [/__short_camel__/g, service.camel],
    [/__short__/g, service.short],
    [/__Pascal__/g, service.pascal],
    [/__proto_pkg__/g, service.protoPackage],
  ];
}

export function fillIn(text: string, service: ServiceName): string {
  let result = text;
  for (const [token, value] of placeholders(service)) result = result.replace(token, value);
  const left = /__[A-Za-z_]+__/.exec(result.replace(/__dirname|__filename/g, ''));
  if (left) throw new Error(`template placeholder ${left[0]} has no value`);
  return result;
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(dir, `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

/** The files of `templates/<set>`, filled in, at `<into>/<path>`. */
export function renderTemplateSet(set: string, into: string, service: ServiceName): FileSet {
  const dir = path.join(TEMPLATES_DIR, set);
  const files: FileSet = new Map();
  for (const file of filesUnder(dir).sort()) {
    const target = path.posix.join(into, fillIn(file, service));
    files.set(target, fillIn(readFileSync(path.join(dir, file), 'utf8'), service));
  }
  return files;
}

/** Every file a new service's workspace and contract start with (package.json excepted, see package.ts). */
export function renderService(service: ServiceName, protocol: Protocol, workspace: string): FileSet {
  const files: FileSet = new Map([
    ...renderTemplateSet('common', workspace, service),
    ...renderTemplateSet(protocol, workspace, service),
  ]);
  if (protocol === 'grpc')
    for (const [file, text] of renderTemplateSet('proto', 'proto', service)) files.set(file, text);
  return files;
}
