import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { nodeServices, SERVICES } from '@pr-canary/contracts/services';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Every fact about a service is written once, in the registry (packages/contracts/src/services.json):
 * the source of localdev and manifests must not spell a registered service. Comments may; tests and
 * fixtures may. Checked in string and template literals (parsed with the TypeScript compiler):
 * - a Node service's `name` anywhere in a literal (`'store-service'`, `` `${x} store-service` ``);
 * - its `short` as a whole literal (`'store'`) or in a flag-style list (`42=api,store`, `store=pr-7`);
 * - a static bundle's workspace folder (`'apps/web'`). The web UI is a part of the stack by role
 *   (`--no-web`), so the word itself is not a finding.
 */

const REPO_ROOT = path.resolve(__dirname, '../..');
const SCANNED = ['localdev/src', 'manifests/src'];

interface Finding {
  file: string;
  line: number;
  literal: string;
  spells: string;
}

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const RULES: { spells: string; pattern: RegExp }[] = [
  ...nodeServices().flatMap((service) => [
    {
      spells: service.name,
      pattern: new RegExp(`(?<![A-Za-z0-9-])${literally(service.name)}(?![A-Za-z0-9-])`),
    },
    {
      spells: service.short,
      pattern: new RegExp(
        `^${literally(service.short)}$|(?<![\\w/.-])${literally(service.short)}(?=[=,@])|(?<=[=,])${literally(service.short)}(?![\\w-])`,
      ),
    },
  ]),
  ...SERVICES.filter((service) => service.runtime === 'static').map((service) => ({
    spells: service.workspace,
    pattern: new RegExp(literally(service.workspace)),
  })),
];

/** The registered services a TypeScript source spells in its literals. */
export function serviceLiterals(file: string, text: string): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const findings: Finding[] = [];
  const visit = (node: ts.Node) => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      for (const rule of RULES) {
        if (rule.pattern.test(node.text)) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
          findings.push({ file, line: line + 1, literal: node.text, spells: rule.spells });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.[cm]?ts$/.test(entry.name))
    .map((entry) => path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name)));
}

describe('no service is spelled outside the registry', () => {
  it.each(SCANNED)('%s names no registered service in a literal', (dir) => {
    const files = sourceFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    const findings = files.flatMap((file) =>
      serviceLiterals(file, readFileSync(path.join(REPO_ROOT, file), 'utf8')),
    );
    expect(
      findings.map((f) => `${f.file}:${f.line} spells ${f.spells}: ${JSON.stringify(f.literal)}`),
    ).toEqual([]);
  });

  it('finds the spellings it is there to find, and leaves comments and look-alikes alone', () => {
    const [store, edge] = [
      nodeServices().find((service) => service.hop === 'mesh'),
      nodeServices().find((service) => service.hop === 'edge'),
    ];
    if (!store || !edge) throw new Error('the registry has a mesh and an edge service');
    const text = [
      `// ${store.name} in a comment is fine`,
      `const a = '${store.name}';`,
      `const b = \`\${x} is ${store.name}\`;`,
      `const c = "${store.short}";`,
      `const d = '42=${edge.short},${store.short}';`,
      `const e = '/${edge.short}/route and ${store.short}s';`,
      `const f = ${JSON.stringify(SERVICES.find((service) => service.runtime === 'static')?.workspace)};`,
    ].join('\n');
    expect(serviceLiterals('x.ts', text).map((finding) => [finding.line, finding.spells])).toEqual([
      [2, store.name],
      [3, store.name],
      [4, store.short],
      [5, edge.short],
      [5, store.short],
      [7, SERVICES.find((service) => service.runtime === 'static')?.workspace],
    ]);
  });
});
