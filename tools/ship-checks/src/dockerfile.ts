/**
 * The one Dockerfile reader of the repository (ship-checks and the manifests' image facts use it),
 * on top of `dockerfile-ast` (the parser behind the Dockerfile language server): stages, instructions,
 * flags, heredocs, ARG defaults, enough to check a Dockerfile without building it. It refuses what it
 * does not know (an unknown instruction, an unclosed heredoc, an ARG without value in a FROM).
 */
import {
  type Instruction as AstInstruction,
  Copy,
  DockerfileParser,
  Env,
  type Flag,
  type Heredoc,
  JSONInstruction,
  type Property,
} from 'dockerfile-ast';

export class DockerfileError extends Error {
  override name = 'DockerfileError';
}

export interface Instruction {
  keyword: string;
  /** The instruction's own words after the keyword (flags first), heredoc bodies removed. */
  args: string;
  /** Bodies of the heredocs attached to this instruction, each ending with a newline. */
  heredocs: string[];
  line: number;
  node: AstInstruction;
}

export interface Stage {
  /** Base image after ARG substitution, or the name of an earlier stage. */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Map<string, string>;
  stages: Stage[];
}

export interface CopyInstruction {
  from: string | undefined;
  chown: string | undefined;
  sources: string[];
  destination: string;
  heredoc: boolean;
}

const KEYWORDS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

function heredocsOf(node: AstInstruction): Heredoc[] {
  const withHeredocs = node as AstInstruction & { getHeredocs?: () => Heredoc[] };
  return withHeredocs.getHeredocs?.() ?? [];
}

function flagsOf(node: AstInstruction): Flag[] {
  const withFlags = node as AstInstruction & { getFlags?: () => Flag[] };
  return withFlags.getFlags?.() ?? [];
}

/** Logical instructions in order (comments dropped, `\` continuations joined, heredoc bodies split off). */
export function readInstructions(text: string): Instruction[] {
  const lines = text.split('\n');
  return DockerfileParser.parse(text)
    .getInstructions()
    .map((node) => {
      const line = node.getRange().start.line + 1;
      const keyword = node.getKeyword();
      if (!KEYWORDS.has(keyword)) throw new DockerfileError(`line ${line}: unknown instruction ${keyword}`);
      const heredocs = heredocsOf(node);
      const bodies = heredocs.map((heredoc) => {
        if (heredoc.getDelimiterRange() === null) {
          throw new DockerfileError(`line ${line}: heredoc ${heredoc.getName()} is never closed`);
        }
        const content = heredoc.getContentRange();
        return content === null
          ? ''
          : `${lines.slice(content.start.line, content.end.line + 1).join('\n')}\n`;
      });
      const bodyStart = heredocs[0]?.getContentRange()?.start.line ?? Number.POSITIVE_INFINITY;
      const words = [
        ...flagsOf(node).map((flag) => flag.toString()),
        ...node
          .getArguments()
          .filter((argument) => argument.getRange().start.line < bodyStart)
          .map((argument) => argument.getValue()),
      ];
      return { keyword, args: words.join(' '), heredocs: bodies, line, node };
    });
}

/** Replaces `${NAME}` and `$NAME` with the given values; unknown names are an error. */
function substitute(text: string, values: ReadonlyMap<string, string>, line: number): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced, bare) => {
    const name = braced ?? bare;
    const value = values.get(name);
    if (value === undefined) throw new DockerfileError(`line ${line}: \${${name}} has no value`);
    return value;
  });
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of readInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name, ...rest] = instruction.node
        .getArguments()
        .map((argument) => argument.getValue());
      if (
        image === undefined ||
        rest.length > 0 ||
        (as !== undefined && (as.toUpperCase() !== 'AS' || !name))
      ) {
        throw new DockerfileError(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      }
      stages.push({ from: substitute(image, globalArgs, instruction.line), name, instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (current) {
      current.instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      for (const [name, value] of properties(instruction)) globalArgs.set(name, value);
    } else {
      throw new DockerfileError(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
    }
  }
  if (stages.length === 0) throw new DockerfileError('no FROM');
  return { globalArgs, stages };
}

/** `ARG A=1`, `ENV A=1 B="2"` (or the legacy `ENV A 1`) → entries, quotes removed. */
function properties(instruction: Instruction): Map<string, string> {
  const node = instruction.node as AstInstruction & {
    getProperties?: () => Property[];
    getProperty?: () => Property | null;
  };
  const props = node.getProperties?.() ?? [node.getProperty?.()].filter((p) => p != null);
  return new Map(props.map((p) => [p.getName(), p.getUnescapedValue() ?? '']));
}

export function parseCopy(instruction: Instruction): CopyInstruction {
  if (!(instruction.node instanceof Copy)) {
    throw new DockerfileError(`line ${instruction.line}: ${instruction.keyword} is not a COPY`);
  }
  const flags = new Map(instruction.node.getFlags().map((flag) => [flag.getName(), flag.getValue() ?? '']));
  const words = instruction.args.split(' ').filter((word) => !word.startsWith('--'));
  const destination = words.pop();
  if (destination === undefined || words.length === 0) {
    throw new DockerfileError(`line ${instruction.line}: COPY needs sources and a destination`);
  }
  return {
    from: flags.get('from'),
    chown: flags.get('chown'),
    sources: words,
    destination,
    heredoc: instruction.heredocs.length > 0,
  };
}

/** Reads an exec-form (JSON array) ENTRYPOINT or CMD; the shell form is refused (signals). */
export function parseExecForm(instruction: Instruction): string[] {
  const node = instruction.node;
  if (
    !(node instanceof JSONInstruction) ||
    node.getOpeningBracket() === null ||
    node.getClosingBracket() === null
  ) {
    throw new DockerfileError(
      `line ${instruction.line}: ${instruction.keyword} must be a JSON array of strings`,
    );
  }
  return node.getJSONStrings().map((part) => part.getJSONValue());
}

/** `ENV A=1 B=2` (or the legacy `ENV A 1`) → entries. */
export function parseEnv(instruction: Instruction): Map<string, string> {
  if (!(instruction.node instanceof Env)) {
    throw new DockerfileError(`line ${instruction.line}: ${instruction.keyword} is not an ENV`);
  }
  return properties(instruction);
}

export function finalStage(dockerfile: Dockerfile): Stage {
  const stage = dockerfile.stages.at(-1);
  if (!stage) throw new DockerfileError('Dockerfile has no FROM');
  return stage;
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}
