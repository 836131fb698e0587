/**
 * All or nothing on the file system: every write, new folder and link goes through a journal, and
 * `rollback()` puts each touched path back as it was (content restored, new files, links and folders
 * removed, newest first). A scaffold that fails half-way — or is interrupted — leaves the tree as it
 * found it.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';

type Undo = () => void;

export class Transaction {
  readonly #root: string;
  readonly #undo: Undo[] = [];
  readonly #created = new Set<string>();
  readonly #updated = new Set<string>();

  constructor(root: string) {
    this.#root = root;
  }

  /** Repository-relative paths created and changed so far. */
  get created(): string[] {
    return [...this.#created];
  }
  get updated(): string[] {
    return [...this.#updated];
  }

  #absolute(file: string): string {
    const absolute = path.resolve(this.#root, file);
    if (!absolute.startsWith(`${this.#root}${path.sep}`))
      throw new Error(`refusing to write outside the repository: ${file}`);
    return absolute;
  }

  #ensureDir(dir: string): void {
    if (existsSync(dir)) return;
    this.#ensureDir(path.dirname(dir));
    mkdirSync(dir);
    this.#undo.push(() => rmSync(dir, { recursive: true, force: true }));
  }

  /** Writes `content` to `file`; `mustBeNew` refuses to replace an existing file. */
  write(file: string, content: string, options: { mustBeNew?: boolean } = {}): void {
    const absolute = this.#absolute(file);
    this.#ensureDir(path.dirname(absolute));
    if (existsSync(absolute)) {
      if (options.mustBeNew) throw new Error(`${file} already exists`);
      const before = readFileSync(absolute);
      if (before.toString('utf8') === content) return;
      this.#undo.push(() => writeFileSync(absolute, before));
      if (!this.#created.has(file)) this.#updated.add(file);
    } else {
      this.#undo.push(() => rmSync(absolute, { force: true }));
      this.#created.add(file);
    }
    writeFileSync(absolute, content);
  }

  /** Records a file some other tool wrote (e.g. a code generator): rollback removes it. */
  adopt(file: string): void {
    const absolute = this.#absolute(file);
    this.#undo.push(() => rmSync(absolute, { force: true }));
    this.#created.add(file);
  }

  /** A relative symbolic link at `link` pointing to `target` (both repository-relative). */
  link(link: string, target: string): void {
    const absolute = this.#absolute(link);
    this.#ensureDir(path.dirname(absolute));
    if (lstatExists(absolute)) throw new Error(`${link} already exists`);
    symlinkSync(path.relative(path.dirname(absolute), this.#absolute(target)), absolute, 'dir');
    this.#undo.push(() => unlinkSync(absolute));
  }

  /** Undoes everything, newest first; returns what could not be undone (empty when all went back). */
  rollback(): string[] {
    const failures: string[] = [];
    for (const undo of this.#undo.splice(0).reverse()) {
      try {
        undo();
      } catch (error) {
        // Keep undoing the rest: one path that cannot be restored must not strand the others.
        failures.push((error as Error).message);
      }
    }
    this.#created.clear();
    this.#updated.clear();
    return failures;
  }

  /** Forgets the journal: from here on the changes stay. */
  commit(): void {
    this.#undo.length = 0;
  }
}

function lstatExists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
