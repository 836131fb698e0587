/**
 * A small Dockerfile reader: enough structure (stages, instructions, flags, heredocs, ARG defaults)
 * to check a Dockerfile without building it. Not a general parser: it refuses what it does not know.
 */

export interface Instruction {
  keyword: string;
  /** Text after the keyword, continuation lines joined, heredoc bodies removed. */
  args: string;
  /** Bodies of `<<"EOF"` heredocs attached to this instruction. */
  heredocs: string[];
  line: number;
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

const HEREDOC_START = /<<-?(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g;

/** Splits a Dockerfile into logical instructions (comments dropped, `\` continuations joined). */
export function readInstructions(text: string): Instruction[] {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  let index = 0;
  while (index < lines.length) {
    const start = index;
    let logical = lines[index] ?? '';
    index += 1;
    if (/^\s*(#|$)/.test(logical)) continue;
    while (logical.endsWith('\\') && index < lines.length) {
      const next = lines[index] ?? '';
      index += 1;
      if (/^\s*#/.test(next)) continue;
      logical = `${logical.slice(0, -1)} ${next.trim()}`;
    }
    const heredocs: string[] = [];
    for (const match of logical.matchAll(HEREDOC_START)) {
      const terminator = match[2] ?? '';
      const body: string[] = [];
      while (index < lines.length && lines[index] !== terminator) {
        body.push(lines[index] ?? '');
        index += 1;
      }
      if (index >= lines.length) throw new Error(`line ${start + 1}: heredoc ${terminator} is never closed`);
      index += 1;
      heredocs.push(`${body.join('\n')}\n`);
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(logical);
    if (!match) throw new Error(`line ${start + 1}: not an instruction: ${logical}`);
    instructions.push({
      keyword: (match[1] ?? '').toUpperCase(),
      args: (match[2] ?? '').trim(),
      heredocs,
      line: start + 1,
    });
  }
  return instructions;
}

/** Replaces `${NAME}` and `$NAME` with the given values; unknown names are an error. */
function substitute(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced, bare) => {
    const name = braced ?? bare;
    const value = values.get(name);
    if (value === undefined) throw new Error(`\${${name}} has no value`);
    return value;
  });
}

function parseArg(args: string): [string, string | undefined] {
  const eq = args.indexOf('=');
  return eq === -1 ? [args, undefined] : [args.slice(0, eq), args.slice(eq + 1).replace(/^"(.*)"$/, '$1')];
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of readInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      stages.push({ from: substitute(match[1] ?? '', globalArgs), name: match[2], instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (current) {
      current.instructions.push(instruction);
    } else if (instruction.keyword === 'ARG') {
      const [name, value] = parseArg(instruction.args);
      globalArgs.set(name, value ?? '');
    } else {
      throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
    }
  }
  return { globalArgs, stages };
}

export function parseCopy(instruction: Instruction): CopyInstruction {
  const words = instruction.args.split(/\s+/);
  const flags = new Map<string, string>();
  while (words[0]?.startsWith('--')) {
    const [flag, value] = (words.shift() ?? '').slice(2).split('=');
    flags.set(flag ?? '', value ?? '');
  }
  const destination = words.pop();
  if (destination === undefined || words.length === 0) {
    throw new Error(`line ${instruction.line}: COPY needs sources and a destination`);
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
  const parsed: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`line ${instruction.line}: ${instruction.keyword} must be a JSON array of strings`);
  }
  return parsed;
}

/** `ENV A=1 B=2` (or the legacy `ENV A 1`) → entries. */
export function parseEnv(instruction: Instruction): Map<string, string> {
  const env = new Map<string, string>();
  if (!instruction.args.includes('=')) {
    const [name, ...rest] = instruction.args.split(/\s+/);
    env.set(name ?? '', rest.join(' '));
    return env;
  }
  for (const pair of instruction.args.split(/\s+/)) {
    const [name, value] = parseArg(pair);
    env.set(name, value ?? '');
  }
  return env;
}

export function finalStage(dockerfile: Dockerfile): Stage {
  const stage = dockerfile.stages.at(-1);
  if (!stage) throw new Error('Dockerfile has no FROM');
  return stage;
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}
