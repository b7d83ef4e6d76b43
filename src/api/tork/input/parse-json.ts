import type { GantryError } from '../../../core/errors.js';
import { MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_VALUES } from './limits.js';
import type { ParsedBody } from './parse-yaml.js';
import { LineIndex, SourceMap, type FieldPath } from './positions.js';
import { syntaxError } from './problems.js';

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * A strict RFC 8259 reader that records where every value is. `JSON.parse` cannot
 * say where a value came from, and its error messages do not always carry a
 * position, so bodies are read here: same grammar, plus rejection of duplicate
 * keys (Go's decoder silently keeps the last one; a duplicate is nearly always a
 * mistake).
 */
class JsonReader {
  private index = 0;
  private values = 0;

  constructor(
    private readonly text: string,
    private readonly positions: SourceMap,
    private readonly lines: LineIndex,
  ) {}

  private fail(message: string, offset = this.index): GantryError {
    return syntaxError(message, this.lines.position(offset));
  }

  private found(): string {
    const char = this.text[this.index];
    return char === undefined ? 'the end of the body' : JSON.stringify(char);
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.index;
    WHITESPACE.exec(this.text);
    this.index = WHITESPACE.lastIndex;
  }

  readDocument(): unknown {
    this.skipWhitespace();
    const value = this.readValue([], this.index, 0);
    this.skipWhitespace();
    if (this.index < this.text.length) throw this.fail(`unexpected ${this.found()} after the end of the JSON value`);
    return value;
  }

  private readValue(path: FieldPath, keyOffset: number, depth: number): unknown {
    const start = this.index;
    this.positions.record(path, keyOffset, start);
    if (++this.values > MAX_DOCUMENT_VALUES) throw this.fail(`the document has more than ${MAX_DOCUMENT_VALUES} values`);
    const char = this.text[start];
    if (char === '{' || char === '[') {
      if (depth >= MAX_DOCUMENT_DEPTH) throw this.fail(`the document is nested more than ${MAX_DOCUMENT_DEPTH} levels deep`);
      return char === '{' ? this.readObject(path, depth) : this.readArray(path, depth);
    }
    if (char === '"') return this.readString();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, start)) {
        this.index += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = start;
    if (NUMBER.exec(this.text)) {
      this.index = NUMBER.lastIndex;
      return Number(this.text.slice(start, this.index));
    }
    throw this.fail(`expected a JSON value, found ${this.found()}`);
  }

  private readObject(path: FieldPath, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.index += 1;
    this.skipWhitespace();
    if (this.text[this.index] === '}') {
      this.index += 1;
      return out;
    }
    for (;;) {
      const keyOffset = this.index;
      if (this.text[keyOffset] !== '"') throw this.fail(`expected a quoted key, found ${this.found()}`);
      const key = this.readString();
      if (seen.has(key)) throw this.fail(`duplicate key ${JSON.stringify(key)}`, keyOffset);
      if (key === '__proto__') throw this.fail('the key "__proto__" is not allowed', keyOffset);
      seen.add(key);
      this.skipWhitespace();
      if (this.text[this.index] !== ':') throw this.fail(`expected ":" after the key, found ${this.found()}`);
      this.index += 1;
      this.skipWhitespace();
      out[key] = this.readValue([...path, key], keyOffset, depth + 1);
      this.skipWhitespace();
      const next = this.text[this.index];
      this.index += 1;
      if (next === '}') return out;
      if (next !== ',') throw this.fail(`expected "," or "}", found ${next === undefined ? 'the end of the body' : JSON.stringify(next)}`, this.index - 1);
      this.skipWhitespace();
    }
  }

  private readArray(path: FieldPath, depth: number): unknown[] {
    const out: unknown[] = [];
    this.index += 1;
    this.skipWhitespace();
    if (this.text[this.index] === ']') {
      this.index += 1;
      return out;
    }
    for (;;) {
      out.push(this.readValue([...path, out.length], this.index, depth + 1));
      this.skipWhitespace();
      const next = this.text[this.index];
      this.index += 1;
      if (next === ']') return out;
      if (next !== ',') throw this.fail(`expected "," or "]", found ${next === undefined ? 'the end of the body' : JSON.stringify(next)}`, this.index - 1);
      this.skipWhitespace();
    }
  }

  private readString(): string {
    const start = this.index;
    this.index += 1;
    let out = '';
    for (;;) {
      const end = this.plainRunEnd();
      out += this.text.slice(this.index, end);
      this.index = end;
      const char = this.text[this.index];
      if (char === '"') {
        this.index += 1;
        return out;
      }
      if (char === undefined) throw this.fail('unterminated string', start);
      if (char !== '\\') throw this.fail('control characters must be escaped inside strings');
      out += this.readEscape();
    }
  }

  /** Where the run of characters that need no decoding ends: at a quote, a backslash or a control character. */
  private plainRunEnd(): number {
    let end = this.index;
    for (; end < this.text.length; end += 1) {
      const code = this.text.charCodeAt(end);
      if (code === 0x22 || code === 0x5c || code < 0x20) break;
    }
    return end;
  }

  private readEscape(): string {
    const escape = this.text[this.index + 1];
    if (escape === 'u') {
      const hex = this.text.slice(this.index + 2, this.index + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.fail('invalid \\u escape: expected four hex digits');
      this.index += 6;
      return String.fromCharCode(Number.parseInt(hex, 16));
    }
    const replacement = escape === undefined ? undefined : ESCAPES[escape];
    if (replacement === undefined) throw this.fail(`invalid escape "\\${escape ?? ''}"`);
    this.index += 2;
    return replacement;
  }
}

/** Parses a JSON body; syntax errors say the line and column. */
export function parseJson(text: string): ParsedBody {
  const lines = new LineIndex(text);
  const positions = new SourceMap((offset) => lines.position(offset));
  const value = new JsonReader(text, positions, lines).readDocument();
  return { value, positions };
}
