import { builtinModules } from 'node:module';

/**
 * The package a bare import specifier names (`@aws-sdk/client-dynamodb` for
 * `@aws-sdk/client-dynamodb/dist-cjs`, `yaml` for `yaml/util`); none for a path, a URL or a Node
 * builtin (`node:fs`, `fs/promises`). The workspace graph check and the new-service scaffold (which
 * derives a new workspace's dependencies from its imports) both read imports through it.
 */
export function packageOf(specifier: string): string | undefined {
  if (/^[./]|^[a-z]+:/i.test(specifier)) return undefined; // relative, absolute, node:, file:, data:
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  return builtinModules.includes(name) ? undefined : name;
}
