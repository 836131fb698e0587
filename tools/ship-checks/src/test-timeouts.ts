/**
 * Issue 9's rule for the suite: every test and hook runs within the shared 20 s timeouts
 * (vitest.shared.mts); none raises its own. A test that needs longer waits on the wrong thing, or on a
 * busy machine does more than a test should. Read with TypeScript, so comments and strings do not count:
 * the timeout a test, suite or hook call passes (`it(name, fn, 90_000)`, `it(name, { timeout }, fn)`,
 * `describe.each(…)(name, fn, ms)`, a same-file constant or a literal), and `testTimeout` /
 * `hookTimeout` wherever a config sets them. A timeout it cannot read as a number counts as raised.
 */
import ts from 'typescript';

export const TIMEOUT_LIMIT_MS = 20_000;

/** Calls whose last numeric or `{ timeout }` argument is their timeout. */
const RUNNER_CALLS = new Set([
  'it',
  'test',
  'describe',
  'suite',
  'beforeAll',
  'afterAll',
  'beforeEach',
  'afterEach',
]);
const CONFIG_KEYS = new Set(['testTimeout', 'hookTimeout']);

export interface RaisedTimeout {
  /** `file:line`. */
  at: string;
  /** The call or property, shortened. */
  text: string;
  /** The timeout in ms; undefined when it cannot be read. */
  ms: number | undefined;
}

/** The timeouts above {@link TIMEOUT_LIMIT_MS}, or unreadable, that a test or config file sets. */
export function raisedTimeouts(file: string, source: string): RaisedTimeout[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const constants = numericConstants(sourceFile);
  const found: RaisedTimeout[] = [];
  const report = (node: ts.Node, ms: number | undefined) => {
    if (ms !== undefined && ms <= TIMEOUT_LIMIT_MS) return;
    const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    found.push({ at: `${file}:${line + 1}`, text: node.getText(sourceFile).split('\n')[0] ?? '', ms });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && RUNNER_CALLS.has(calleeRoot(node.expression) ?? '')) {
      for (const argument of node.arguments.slice(1)) {
        if (ts.isObjectLiteralExpression(argument)) {
          const timeout = argument.properties.find((property) => propertyName(property) === 'timeout');
          if (timeout && ts.isPropertyAssignment(timeout))
            report(timeout, numberOf(timeout.initializer, constants));
        } else if (!ts.isFunctionLike(argument) && !ts.isStringLiteralLike(argument)) {
          report(argument, numberOf(argument, constants));
        }
      }
    } else if (ts.isPropertyAssignment(node) && CONFIG_KEYS.has(propertyName(node) ?? '')) {
      report(node, numberOf(node.initializer, constants));
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/** `it` for `it(…)`, `it.skip(…)`, `it.each(rows)(…)`, `describe.concurrent.each(rows)(…)`. */
function calleeRoot(expression: ts.Expression): string | undefined {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) return calleeRoot(expression.expression);
  if (ts.isCallExpression(expression)) return calleeRoot(expression.expression);
  return undefined;
}

function propertyName(property: ts.ObjectLiteralElementLike): string | undefined {
  const name = property.name;
  return name && (ts.isIdentifier(name) || ts.isStringLiteral(name)) ? name.text : undefined;
}

/** `const NAME = 90_000` (or `= 2 * 60_000`) at any depth of the file. */
function numericConstants(sourceFile: ts.SourceFile): Map<string, number> {
  const constants = new Map<string, number>();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const value = numberOf(node.initializer, constants);
      if (value !== undefined) constants.set(node.name.text, value);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return constants;
}

/** A number literal, a known constant, or sums and products of those; undefined otherwise. */
function numberOf(expression: ts.Expression, constants: ReadonlyMap<string, number>): number | undefined {
  if (ts.isNumericLiteral(expression)) return Number(expression.text.replaceAll('_', ''));
  if (ts.isIdentifier(expression)) return constants.get(expression.text);
  if (ts.isParenthesizedExpression(expression)) return numberOf(expression.expression, constants);
  if (ts.isBinaryExpression(expression)) {
    const left = numberOf(expression.left, constants);
    const right = numberOf(expression.right, constants);
    if (left === undefined || right === undefined) return undefined;
    if (expression.operatorToken.kind === ts.SyntaxKind.AsteriskToken) return left * right;
    if (expression.operatorToken.kind === ts.SyntaxKind.PlusToken) return left + right;
  }
  return undefined;
}
