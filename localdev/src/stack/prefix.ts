/** `api pr-42   │ INFO listening port=…`: one aligned, optionally coloured prefix per instance. */
export type Prefixer = (name: string, text: string, level: number | undefined) => string;

const PREFIX_WIDTH = 12;
const PALETTE = [36, 32, 35, 33, 34, 96, 92, 95, 93, 94];
const WARN_LEVEL = 40;
const ERROR_LEVEL = 50;

export function createPrefixer(color: boolean): Prefixer {
  const colors = new Map<string, number>();
  const colorOf = (name: string): number => {
    let code = colors.get(name);
    if (code === undefined) {
      code = PALETTE[colors.size % PALETTE.length] ?? 37;
      colors.set(name, code);
    }
    return code;
  };
  return (name, text, level) => {
    const prefix = `${name.padEnd(PREFIX_WIDTH)} │`;
    if (!color) return `${prefix} ${text}`;
    const body =
      level !== undefined && level >= ERROR_LEVEL
        ? paint(31, text)
        : level === WARN_LEVEL
          ? paint(33, text)
          : text;
    return `${paint(colorOf(name), prefix)} ${body}`;
  };
}

export function paint(code: number, text: string): string {
  return `\u001b[${code}m${text}\u001b[0m`;
}
