/**
 * shellcheck and yamllint over this folder. CI installs both; on a machine without them the tests
 * are skipped with a message (and fail when CI is set, so CI can never skip them silently). And one
 * Kustomize trap no linter knows (below).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MANIFESTS_DIR } from '../src/layout';
import { lintToolInstalled, yamllintFindings } from '../src/verify';

const run = promisify(execFile);

function filesEndingWith(...suffixes: string[]): string[] {
  return readdirSync(MANIFESTS_DIR, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && suffixes.some((s) => e.name.endsWith(s)))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => !/[\\/](node_modules|\.scratch)[\\/]/.test(file));
}

const scratch = mkdtempSync(path.join(tmpdir(), 'manifests-lint-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function inTemp(name: string, content: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, content);
  return file;
}

async function lint(tool: string, args: string[]): Promise<string> {
  try {
    await run(tool, args, { cwd: MANIFESTS_DIR });
    return '';
  } catch (error) {
    return (error as { stdout?: string }).stdout || (error as Error).message;
  }
}

describe.runIf(lintToolInstalled('shellcheck'))('shellcheck', () => {
  const scripts = filesEndingWith('.sh');

  it('passes on every shell script', async () => {
    expect(scripts.length).toBeGreaterThan(0);
    expect(await lint('shellcheck', scripts)).toBe('');
  });

  it('fails on a broken copy of the cleanup script (unquoted expansion)', async () => {
    const script = path.join(MANIFESTS_DIR, 'platform/delete-table.sh');
    const broken = readFileSync(script, 'utf8').replace(
      '--table-name "$TABLE_NAME"',
      '--table-name $TABLE_NAME',
    );
    expect(await lint('shellcheck', [inTemp('delete-table.sh', broken)])).toMatch(/SC2086/);
  });
});

describe.runIf(lintToolInstalled('yamllint'))('yamllint', () => {
  it('passes on every YAML file with the folder config', async () => {
    const files = filesEndingWith('.yaml', '.yml');
    expect(files.length).toBeGreaterThan(50);
    expect(await yamllintFindings(files)).toBe('');
  });

  it('fails on a broken copy of a manifest (duplicate key)', async () => {
    const manifest = readFileSync(path.join(MANIFESTS_DIR, 'components/service/workload.yaml'), 'utf8');
    const broken = manifest.replace('  maxUnavailable: 1', '  maxUnavailable: 1\n  maxUnavailable: 2');
    expect(broken).not.toBe(manifest);
    const output = await yamllintFindings([inTemp('workload.yaml', broken)]);
    expect(output).toMatch(/duplication of key "maxUnavailable"/);
  });
});

/**
 * In a replacement's field path, `[name=PORT]` selects list elements whose `name` matches the regular
 * expression `PORT` anywhere (Kustomize ≥ 4.5, kubernetes-sigs/kustomize#5029): METRICS_PORT and
 * OTEL_EXPORTER_OTLP_ENDPOINT too. Every such selector here is anchored, `[name=^PORT$]`.
 */
function unanchoredSelectors(kustomization: string): string[] {
  const paths = parseAllDocuments(kustomization).flatMap((doc) => {
    const replacements: { source?: { fieldPath?: string }; targets?: { fieldPaths?: string[] }[] }[] =
      doc.toJSON()?.replacements ?? [];
    return replacements.flatMap((r) => [
      ...(r.source?.fieldPath ? [r.source.fieldPath] : []),
      ...(r.targets ?? []).flatMap((t) => t.fieldPaths ?? []),
    ]);
  });
  return paths.flatMap((fieldPath) =>
    [...fieldPath.matchAll(/\[([^\]=]+)=([^\]]*)\]/g)]
      .filter(([, , value = '']) => !(value.startsWith('^') && value.endsWith('$')))
      .map(([selector]) => `${fieldPath}: ${selector}`),
  );
}

describe('replacements', () => {
  it('select list elements by an anchored pattern only', () => {
    const files = filesEndingWith('kustomization.yaml');
    expect(files.length).toBeGreaterThan(20);
    const found = files.flatMap((file) =>
      unanchoredSelectors(readFileSync(file, 'utf8')).map(
        (s) => `${path.relative(MANIFESTS_DIR, file)}: ${s}`,
      ),
    );
    expect(found).toEqual([]);
  });

  it('finds an unanchored one', () => {
    const kustomization = [
      'replacements:',
      '  - source: { kind: ConfigMap, fieldPath: data.port }',
      '    targets:',
      '      - fieldPaths:',
      '          - spec.template.spec.containers.0.env.[name=PORT].value',
    ].join('\n');
    expect(unanchoredSelectors(kustomization)).toEqual([
      'spec.template.spec.containers.0.env.[name=PORT].value: [name=PORT]',
    ]);
  });
});
