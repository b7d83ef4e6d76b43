import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { GantryError } from '../../../core/errors.js';
import { MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_VALUES } from './limits.js';
import { PlainScalar } from './plain-scalar.js';
import { SourceMap, type FieldPath, type Position } from './positions.js';
import { syntaxError } from './problems.js';

/** A parsed body: plain data (with PlainScalar leaves for YAML) and where each value was. */
export interface ParsedBody {
  value: unknown;
  positions: SourceMap;
}

// The yaml library's node types, as far as this walker needs them.
type YamlNode = NonNullable<ReturnType<typeof parseDocument>['contents']>;
type YamlMap = Extract<YamlNode, { items: { key: unknown }[] }>;

interface MapEntry {
  name: string;
  keyOffset: number;
  value: YamlNode | null;
}

const offsetOf = (node: { range?: readonly number[] | null } | null | undefined, fallback: number): number =>
  node?.range?.[0] ?? fallback;

/** The key starting at `offset`, as written up to its colon, without quotes. */
function keyAt(text: string, offset: number): string {
  const written = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:\n]*?)\s*(?::|$)/m.exec(text.slice(offset))?.[1] ?? '';
  return /^["']/.test(written) ? written.slice(1, -1) : written;
}

function describe(error: YAMLError, text: string): string {
  if (/call stack/i.test(error.message)) return 'the document is nested too deeply';
  switch (error.code) {
    case 'DUPLICATE_KEY':
      return `duplicate key ${JSON.stringify(keyAt(text, error.pos[0]))}`;
    case 'MULTIPLE_DOCS':
      return 'the body holds more than one YAML document; submit one job per request';
    default:
      return error.message;
  }
}

/**
 * Turns the YAML tree into plain data. The library's own `toJS` would lose how
 * scalars were written, which Tork's string fields keep (see PlainScalar), so the
 * walk is done here, expanding aliases and `<<` merge keys as Go's yaml.v3 does,
 * within the depth and size caps.
 */
class YamlWalker {
  private readonly anchors = new Map<string, YamlNode>();
  private readonly expanding = new Set<YamlNode>();
  private values = 0;

  constructor(
    private readonly positions: SourceMap,
    private readonly toPosition: (offset: number) => Position,
  ) {}

  private fail(message: string, offset: number): GantryError {
    return syntaxError(message, this.toPosition(offset));
  }

  walk(node: YamlNode | null, path: FieldPath, keyOffset: number, depth: number): unknown {
    const offset = offsetOf(node, keyOffset);
    this.positions.record(path, keyOffset, offset);
    if (node === null) return null;
    if (++this.values > MAX_DOCUMENT_VALUES) {
      throw this.fail(`the document has more than ${MAX_DOCUMENT_VALUES} values (after expanding aliases)`, offset);
    }
    if (depth > MAX_DOCUMENT_DEPTH) throw this.fail(`the document is nested more than ${MAX_DOCUMENT_DEPTH} levels deep`, offset);
    if (isAlias(node)) return this.walkAlias(node.source, path, keyOffset, offset, depth);
    if (node.anchor) this.anchors.set(node.anchor, node);
    if (isScalar(node)) {
      const value: unknown = node.value;
      if (value === null || typeof value === 'string') return value;
      return new PlainScalar(value, node.source ?? String(value));
    }
    if (isSeq(node)) {
      this.expanding.add(node);
      const items = node.items.map((item, index) =>
        this.walk(item as YamlNode | null, [...path, index], offsetOf(item as YamlNode | null, offset), depth + 1),
      );
      this.expanding.delete(node);
      return items;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      this.expanding.add(node);
      this.walkMapInto(out, node, path, depth);
      this.expanding.delete(node);
      return out;
    }
    throw this.fail('unsupported YAML node', offset);
  }

  private walkAlias(name: string, path: FieldPath, keyOffset: number, offset: number, depth: number): unknown {
    const target = this.anchors.get(name);
    if (!target) throw this.fail(`unknown alias *${name}`, offset);
    if (this.expanding.has(target)) throw this.fail(`alias *${name} refers to a value that contains it`, offset);
    const value = this.walk(target, path, keyOffset, depth);
    // Report problems of the aliased value as a whole where the alias is used.
    this.positions.record(path, keyOffset, offset);
    return value;
  }

  private walkMapInto(out: Record<string, unknown>, map: YamlMap, path: FieldPath, depth: number): void {
    for (const { name, keyOffset, value } of this.entriesOf(map, new Set())) {
      out[name] = this.walk(value, [...path, name], keyOffset, depth + 1);
    }
  }

  /**
   * The mapping's entries with `<<` merge keys resolved: merged keys never override
   * the mapping's own keys, and earlier merges win over later ones (as in yaml.v3).
   */
  private entriesOf(map: YamlMap, merging: Set<YamlNode>): MapEntry[] {
    const own: MapEntry[] = [];
    const merged: MapEntry[] = [];
    merging.add(map);
    for (const pair of map.items) {
      const key = pair.key as YamlNode | null;
      const keyOffset = offsetOf(key, offsetOf(map, 0));
      const value = pair.value as YamlNode | null;
      if (key !== null && isScalar(key) && typeof key.value === 'symbol') {
        merged.push(...this.mergedEntries(value, keyOffset, merging));
        continue;
      }
      if (key === null || !isScalar(key)) throw this.fail('mapping keys must be plain scalars', keyOffset);
      const name = typeof key.value === 'string' ? key.value : (key.source ?? String(key.value));
      if (name === '__proto__') throw this.fail('the key "__proto__" is not allowed', keyOffset);
      own.push({ name, keyOffset, value });
    }
    merging.delete(map);
    const seen = new Set(own.map((entry) => entry.name));
    for (const entry of merged) {
      if (seen.has(entry.name)) continue;
      seen.add(entry.name);
      own.push(entry);
    }
    return own;
  }

  private mergedEntries(source: YamlNode | null, keyOffset: number, merging: Set<YamlNode>): MapEntry[] {
    const offset = offsetOf(source, keyOffset);
    if (source !== null && isSeq(source)) {
      return source.items.flatMap((item) => this.mergedEntries(item as YamlNode | null, offset, merging));
    }
    let target: YamlNode | null = source;
    if (source !== null && isAlias(source)) {
      target = this.anchors.get(source.source) ?? null;
      if (target === null) throw this.fail(`unknown alias *${source.source}`, offset);
    } else if (source?.anchor) {
      this.anchors.set(source.anchor, source);
    }
    if (target === null || !isMap(target)) throw this.fail('a "<<" merge key needs a mapping or a list of mappings', offset);
    if (merging.has(target) || this.expanding.has(target)) throw this.fail('a "<<" merge refers to a mapping that contains it', offset);
    return this.entriesOf(target, merging);
  }
}

/**
 * Parses one YAML document. Syntax errors, duplicate keys and multi-document bodies
 * are reported with their line and column.
 */
export function parseYaml(text: string): ParsedBody {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const toPosition = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1), column: col };
  };
  const [first] = doc.errors;
  if (first) throw syntaxError(describe(first, text), toPosition(first.pos[0]));
  const positions = new SourceMap(toPosition);
  const value = new YamlWalker(positions, toPosition).walk(doc.contents, [], offsetOf(doc.contents, 0), 0);
  return { value, positions };
}
