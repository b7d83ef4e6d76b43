/**
 * Field paths and where they are in the submitted text. Both parsers record, for
 * every value they produce, the offset of the value and of its key; error messages
 * then say "line L, column C" for any path a rule complains about.
 */

/** A path into the submitted document, e.g. `['tasks', 1, 'retry', 'limit']`. */
export type FieldPath = readonly (string | number)[];

/** 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `tasks[1].retry.limit`; keys that are not identifiers are quoted: `env["A.B"]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Maps string offsets to lines and columns (a line ends at `\n`; `\r\n` counts once). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): Position {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.starts[low] ?? 0) + 1 };
  }
}

interface Offsets {
  key: number;
  value: number;
}

const pathKey = (path: FieldPath): string => JSON.stringify(path);

/**
 * The offsets of every value (and its key) of one parsed document. `locate` falls
 * back to the closest recorded ancestor, so a missing field is reported where its
 * parent mapping starts.
 */
export class SourceMap {
  private readonly offsets = new Map<string, Offsets>();

  /** `toPosition` turns an offset of the source text into a line and column. */
  constructor(private readonly toPosition: (offset: number) => Position) {}

  record(path: FieldPath, keyOffset: number, valueOffset: number): void {
    this.offsets.set(pathKey(path), { key: keyOffset, value: valueOffset });
  }

  /** Where `path` (its key, or its value) is; the nearest ancestor's value when it is absent. */
  locate(path: FieldPath, part: 'key' | 'value' = 'value'): Position | undefined {
    const exact = this.offsets.get(pathKey(path));
    if (exact) return this.toPosition(part === 'key' ? exact.key : exact.value);
    for (let length = path.length - 1; length >= 0; length -= 1) {
      const ancestor = this.offsets.get(pathKey(path.slice(0, length)));
      if (ancestor) return this.toPosition(ancestor.value);
    }
    return undefined;
  }
}
