import { invalidInput } from '../errors.js';
import type { Node } from './ast.js';
import { tokenize, type Token } from './lexer.js';

/** Binding power of each binary operator (higher binds tighter), after expr-lang. */
const BINARY: Record<string, number> = {
  '??': 1,
  or: 2,
  '||': 2,
  and: 3,
  '&&': 3,
  '==': 4,
  '!=': 4,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  in: 4,
  'not in': 4,
  matches: 4,
  contains: 4,
  startsWith: 4,
  endsWith: 4,
  '..': 5,
  '+': 6,
  '-': 6,
  '*': 7,
  '/': 7,
  '%': 7,
  '**': 8,
};
const UNARY_POWER = 9;
const WORD_OPERATORS = new Set(['or', 'and', 'in', 'matches', 'contains', 'startsWith', 'endsWith', 'not']);

class Parser {
  private position = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Node {
    const node = this.expression(0);
    const rest = this.peek();
    if (rest.kind !== 'eof') this.fail(`unexpected "${rest.value}"`, rest);
    return node;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.position + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    this.position++;
    return token;
  }

  private fail(message: string, token: Token): never {
    const what = token.kind === 'eof' ? 'unexpected end of expression' : message;
    throw invalidInput(`expression "${this.source}": ${what} at column ${token.column}`);
  }

  private expect(value: string): Token {
    const token = this.next();
    if (token.kind !== 'op' || token.value !== value) this.fail(`expected "${value}" but found "${token.value}"`, token);
    return token;
  }

  /** The binary operator at the cursor, if any (`not in` is two tokens). */
  private binaryOperator(): { op: string; width: number } | undefined {
    const token = this.peek();
    if (token.kind === 'op' && token.value in BINARY) return { op: token.value, width: 1 };
    if (token.kind === 'name' && WORD_OPERATORS.has(token.value)) {
      if (token.value === 'not') {
        const after = this.peek(1);
        return after.kind === 'name' && after.value === 'in' ? { op: 'not in', width: 2 } : undefined;
      }
      return { op: token.value, width: 1 };
    }
    return undefined;
  }

  private expression(minPower: number): Node {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      if (token.kind === 'op' && token.value === '?' && minPower === 0) {
        this.next();
        const then = this.expression(0);
        this.expect(':');
        const otherwise = this.expression(0);
        left = { type: 'conditional', test: left, then, otherwise };
        continue;
      }
      const operator = this.binaryOperator();
      if (!operator) return left;
      const power = BINARY[operator.op]!;
      if (power <= minPower && !(operator.op === '**' && power === minPower)) return left;
      this.position += operator.width;
      // `**` is right-associative; the rest associate to the left.
      const right = this.expression(operator.op === '**' ? power - 1 : power);
      left = { type: 'binary', op: operator.op, left, right };
    }
  }

  private unary(): Node {
    const token = this.peek();
    if ((token.kind === 'op' && (token.value === '!' || token.value === '-' || token.value === '+')) || (token.kind === 'name' && token.value === 'not')) {
      this.next();
      const op = token.value === 'not' ? '!' : token.value;
      return { type: 'unary', op, operand: this.expression(UNARY_POWER) };
    }
    return this.postfix(this.primary());
  }

  private primary(): Node {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return { type: 'literal', value: Number(token.value) };
      case 'string':
        return { type: 'literal', value: token.value };
      case 'name': {
        if (token.value === 'true') return { type: 'literal', value: true };
        if (token.value === 'false') return { type: 'literal', value: false };
        if (token.value === 'nil' || token.value === 'null') return { type: 'literal', value: null };
        if (WORD_OPERATORS.has(token.value) && token.value !== 'not') this.fail(`unexpected "${token.value}"`, token);
        if (this.peek().kind === 'op' && this.peek().value === '(') {
          this.next();
          return { type: 'call', callee: token.value, args: this.list(')'), column: token.column };
        }
        return { type: 'name', name: token.value };
      }
      case 'op':
        if (token.value === '(') {
          const inner = this.expression(0);
          this.expect(')');
          return inner;
        }
        if (token.value === '[') return { type: 'array', items: this.list(']') };
        if (token.value === '{') return this.map();
        return this.fail(`unexpected "${token.value}"`, token);
      default:
        return this.fail('unexpected end of expression', token);
    }
  }

  private list(close: string): Node[] {
    const items: Node[] = [];
    if (this.peek().kind === 'op' && this.peek().value === close) {
      this.next();
      return items;
    }
    for (;;) {
      items.push(this.expression(0));
      const token = this.next();
      if (token.kind === 'op' && token.value === close) return items;
      if (token.kind !== 'op' || token.value !== ',') this.fail(`expected "," or "${close}" but found "${token.value}"`, token);
      // A trailing comma before the closing bracket is allowed.
      if (this.peek().kind === 'op' && this.peek().value === close) {
        this.next();
        return items;
      }
    }
  }

  private map(): Node {
    const entries: Array<{ key: Node; value: Node }> = [];
    while (!(this.peek().kind === 'op' && this.peek().value === '}')) {
      const keyToken = this.next();
      let key: Node;
      if (keyToken.kind === 'name' || keyToken.kind === 'string' || keyToken.kind === 'number') key = { type: 'literal', value: keyToken.value };
      else if (keyToken.kind === 'op' && keyToken.value === '(') {
        key = this.expression(0);
        this.expect(')');
      } else this.fail(`unexpected "${keyToken.value}" in a map`, keyToken);
      this.expect(':');
      entries.push({ key: key!, value: this.expression(0) });
      if (this.peek().kind === 'op' && this.peek().value === ',') this.next();
      else break;
    }
    this.expect('}');
    return { type: 'map', entries };
  }

  private postfix(node: Node): Node {
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op') return node;
      if (token.value === '.' || token.value === '?.') {
        this.next();
        const name = this.next();
        if (name.kind !== 'name') this.fail(`expected a field name after "${token.value}"`, name);
        node = { type: 'member', object: node, property: { type: 'literal', value: name.value }, optional: token.value === '?.' };
      } else if (token.value === '[') {
        this.next();
        const property = this.expression(0);
        this.expect(']');
        node = { type: 'member', object: node, property, optional: false };
      } else {
        return node;
      }
    }
  }
}

const cache = new Map<string, Node>();
const CACHE_LIMIT = 2_000;

/** Parses an expression; the same source is parsed once (jobs evaluate the same expressions many times). */
export function parseExpression(source: string): Node {
  const cached = cache.get(source);
  if (cached) return cached;
  if (source.trim() === '') throw invalidInput('expression is empty');
  const node = new Parser(source, tokenize(source)).parse();
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(source, node);
  return node;
}
