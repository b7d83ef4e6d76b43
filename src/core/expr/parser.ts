import { invalidInput } from '../errors.js';
import type { Node } from './ast.js';
import { FUNCTIONS, hasFunction } from './functions.js';
import { tokenize, type Token } from './lexer.js';
import { isPredicate, PREDICATES } from './predicates.js';

/**
 * Binary operators with expr-lang's precedences (parser/operator/operator.go):
 * higher binds tighter; `**` and `^` associate to the right.
 */
const BINARY: Record<string, { power: number; right?: boolean }> = {
  '|': { power: 0 },
  or: { power: 10 },
  '||': { power: 10 },
  and: { power: 15 },
  '&&': { power: 15 },
  '==': { power: 20 },
  '!=': { power: 20 },
  '<': { power: 20 },
  '>': { power: 20 },
  '<=': { power: 20 },
  '>=': { power: 20 },
  in: { power: 20 },
  matches: { power: 20 },
  contains: { power: 20 },
  startsWith: { power: 20 },
  endsWith: { power: 20 },
  '..': { power: 25 },
  '+': { power: 30 },
  '-': { power: 30 },
  '*': { power: 60 },
  '/': { power: 60 },
  '%': { power: 60 },
  '**': { power: 100, right: true },
  '^': { power: 100, right: true },
  '??': { power: 500 },
};
const WORD_OPERATORS = new Set(['or', 'and', 'in', 'matches', 'contains', 'startsWith', 'endsWith']);
/** Operators that may follow `not`: `a not in b`, `s not matches "x"`. */
const NEGATABLE = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);
/** Chained comparisons mean "and": `1 < x < 5`. */
const COMPARISONS = new Set(['<', '>', '<=', '>=']);
const MAX_NESTING = 100;

class Parser {
  private position = 0;
  private predicateDepth = 0;
  private nesting = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Node {
    const node = this.sequence();
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

  private isOp(value: string): boolean {
    const token = this.peek();
    return token.kind === 'op' && token.value === value;
  }

  private isName(value: string): boolean {
    const token = this.peek();
    return token.kind === 'name' && token.value === value;
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

  /** `a; b; c`: inside parentheses, braces and at the top. */
  private sequence(): Node {
    const nodes = [this.expression(0)];
    while (this.isOp(';')) {
      this.next();
      if (this.peek().kind === 'eof' || this.isOp('}') || this.isOp(')')) break;
      nodes.push(this.expression(0));
    }
    return nodes.length === 1 ? nodes[0]! : { type: 'sequence', nodes };
  }

  /** The binary operator at the cursor: its name and how many tokens it spans. */
  private binaryOperator(): { op: string; width: number; negate: boolean } | undefined {
    const token = this.peek();
    if (token.kind === 'op' && token.value in BINARY) return { op: token.value, width: 1, negate: false };
    if (token.kind !== 'name') return undefined;
    if (WORD_OPERATORS.has(token.value)) return { op: token.value, width: 1, negate: false };
    if (token.value !== 'not') return undefined;
    const after = this.peek(1);
    if (after.kind === 'name' && NEGATABLE.has(after.value)) return { op: after.value, width: 2, negate: true };
    return this.fail(`unexpected "${after.value}" after "not"`, after);
  }

  private expression(precedence: number): Node {
    if (++this.nesting > MAX_NESTING) this.fail(`the expression nests more than ${MAX_NESTING} levels deep`, this.peek());
    try {
      if (precedence === 0 && this.isName('let')) return this.letExpression();
      if (precedence === 0 && this.isName('if')) return this.ifExpression();
      let left = this.primary();
      let previous = '';
      for (;;) {
        const token = this.peek();
        const operator = this.binaryOperator();
        if (!operator) break;
        const { power, right } = BINARY[operator.op]!;
        if (power < precedence) break;
        this.position += operator.width;
        if (operator.op === '|') {
          const name = this.next();
          if (name.kind !== 'name') this.fail('expected a function call after "|"', name);
          if (!this.isOp('(')) this.fail(`expected "(" after ${name.value}`, this.peek());
          left = this.call(name, [left]);
        } else if (previous === '??' && operator.op !== '??') {
          this.fail(`operator ${operator.op} and ?? cannot be mixed; wrap one of them in parentheses`, token);
        } else if (COMPARISONS.has(operator.op)) {
          left = this.comparison(left, operator.op, power);
        } else {
          const rhs = this.expression(right ? power : power + 1);
          left = { type: 'binary', op: operator.op, left, right: rhs };
          if (operator.negate) left = { type: 'unary', op: '!', operand: left };
        }
        previous = operator.op;
      }
      return precedence === 0 ? this.conditional(left) : left;
    } finally {
      this.nesting--;
    }
  }

  private comparison(left: Node, op: string, power: number): Node {
    let root: Node | undefined;
    let lhs = left;
    let current = op;
    for (;;) {
      const rhs = this.expression(power + 1);
      const node: Node = { type: 'binary', op: current, left: lhs, right: rhs };
      root = root ? { type: 'binary', op: '&&', left: root, right: node } : node;
      lhs = rhs;
      const token = this.peek();
      if (token.kind !== 'op' || !COMPARISONS.has(token.value)) return root;
      this.next();
      current = token.value;
    }
  }

  /** `a ? b : c` and the short `a ?: b`. */
  private conditional(node: Node): Node {
    let out = node;
    while (this.isOp('?')) {
      this.next();
      if (this.isOp(':')) {
        this.next();
        out = { type: 'binary', op: '?:', left: out, right: this.expression(0) };
        continue;
      }
      const then = this.expression(0);
      this.expect(':');
      out = { type: 'conditional', test: out, then, otherwise: this.expression(0) };
    }
    return out;
  }

  private letExpression(): Node {
    this.next();
    const name = this.next();
    if (name.kind !== 'name') this.fail('expected a variable name after "let"', name);
    this.expect('=');
    const value = this.expression(0);
    this.expect(';');
    return { type: 'let', name: name.value, value, body: this.sequence() };
  }

  private ifExpression(): Node {
    this.next();
    const test = this.expression(0);
    this.expect('{');
    const then = this.sequence();
    this.expect('}');
    const elseToken = this.next();
    if (elseToken.kind !== 'name' || elseToken.value !== 'else') this.fail(`expected "else" but found "${elseToken.value}"`, elseToken);
    let otherwise: Node;
    if (this.isName('if')) otherwise = this.ifExpression();
    else {
      this.expect('{');
      otherwise = this.sequence();
      this.expect('}');
    }
    return { type: 'conditional', test, then, otherwise };
  }

  private primary(): Node {
    const token = this.peek();
    if ((token.kind === 'op' && (token.value === '!' || token.value === '-' || token.value === '+')) || (token.kind === 'name' && token.value === 'not')) {
      this.next();
      const power = token.value === '-' || token.value === '+' ? 90 : 50;
      const operand = this.expression(power);
      return this.postfix({ type: 'unary', op: token.value === 'not' ? '!' : token.value, operand });
    }
    if (token.kind === 'op' && token.value === '(') {
      this.next();
      const inner = this.sequence();
      this.expect(')');
      return this.postfix(inner);
    }
    if (token.kind === 'op' && (token.value === '#' || token.value === '.')) {
      if (this.predicateDepth === 0) this.fail(`"${token.value}" can only be used inside a predicate, e.g. filter(list, # > 1)`, token);
      if (token.value === '.') return this.postfix({ type: 'pointer', name: '' });
      this.next();
      const after = this.peek();
      if (after.kind === 'name' && !WORD_OPERATORS.has(after.value) && after.value !== 'not') {
        if (after.value !== 'index' && after.value !== 'acc') this.fail(`unknown #${after.value}: use #, #index or #acc`, after);
        this.next();
        return this.postfix({ type: 'pointer', name: after.value });
      }
      return this.postfix({ type: 'pointer', name: '' });
    }
    return this.postfix(this.secondary());
  }

  private secondary(): Node {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return { type: 'literal', value: Number(token.value) };
      case 'string':
        return { type: 'literal', value: token.value };
      case 'name':
        if (token.value === 'true') return { type: 'literal', value: true };
        if (token.value === 'false') return { type: 'literal', value: false };
        if (token.value === 'nil' || token.value === 'null') return { type: 'literal', value: null };
        if (WORD_OPERATORS.has(token.value)) this.fail(`unexpected "${token.value}"`, token);
        if (this.isOp('(')) return this.call(token, []);
        return { type: 'name', name: token.value };
      case 'op':
        if (token.value === '[') return { type: 'array', items: this.items(']') };
        if (token.value === '{') return this.map();
        return this.fail(`unexpected "${token.value}"`, token);
      default:
        return this.fail('unexpected end of expression', token);
    }
  }

  /** A call; `piped` holds the left side of `|`, which becomes the first argument. */
  private call(name: Token, piped: Node[]): Node {
    const callee = name.value;
    if (isPredicate(callee)) {
      this.expect('(');
      const args = [...piped];
      const kinds = PREDICATES[callee]!.args.slice(piped.length);
      for (const [index, kind] of kinds.entries()) {
        if (this.isOp(')')) {
          if (kind.endsWith('?')) break;
          this.fail(`${callee} needs ${kinds.filter((k) => !k.endsWith('?')).length + piped.length} arguments`, this.peek());
        }
        if (index > 0) this.expect(',');
        args.push(kind.startsWith('predicate') ? this.predicate() : this.expression(0));
      }
      if (this.isOp(',')) this.next();
      this.expect(')');
      return { type: 'call', callee, args, column: name.column };
    }
    if (!hasFunction(callee)) this.fail(`unknown function ${callee}`, name);
    this.expect('(');
    const args = [...piped, ...this.items(')')];
    const { min, max } = FUNCTIONS[callee]!;
    if (args.length < min || args.length > max) {
      const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      this.fail(`${callee} takes ${expected} argument${expected === '1' ? '' : 's'}, got ${args.length}`, name);
    }
    return { type: 'call', callee, args, column: name.column };
  }

  /** A predicate argument: `# > 1` or `{ # > 1 }`. */
  private predicate(): Node {
    const braces = this.isOp('{');
    if (braces) this.next();
    this.predicateDepth++;
    const body = braces ? this.sequence() : this.expression(0);
    this.predicateDepth--;
    if (braces) this.expect('}');
    return { type: 'predicate', body };
  }

  /** Comma-separated expressions up to `close` (already past the opening bracket); a trailing comma is allowed. */
  private items(close: string): Node[] {
    const items: Node[] = [];
    while (!this.isOp(close)) {
      if (items.length > 0) {
        this.expect(',');
        if (this.isOp(close)) break;
      }
      items.push(this.expression(0));
    }
    this.next();
    return items;
  }

  private map(): Node {
    const entries: Array<{ key: Node; value: Node }> = [];
    while (!this.isOp('}')) {
      if (entries.length > 0) {
        this.expect(',');
        if (this.isOp('}')) break;
      }
      const keyToken = this.peek();
      let key: Node;
      if (keyToken.kind === 'name' || keyToken.kind === 'string' || keyToken.kind === 'number') {
        this.next();
        key = { type: 'literal', value: keyToken.value };
      } else if (keyToken.kind === 'op' && keyToken.value === '(') {
        key = this.expression(0);
      } else {
        return this.fail(`unexpected "${keyToken.value}" in a map: a key is a name, a string, a number or an expression in parentheses`, keyToken);
      }
      this.expect(':');
      entries.push({ key, value: this.expression(0) });
    }
    this.next();
    return { type: 'map', entries };
  }

  /** `[i]`, `[from:to]` after `[`; `optional` for `?.[`. */
  private index(object: Node, optional: boolean): Node {
    if (this.isOp(':')) {
      this.next();
      const to = this.isOp(']') ? null : this.expression(0);
      this.expect(']');
      return { type: 'slice', object, from: null, to };
    }
    const from = this.expression(0);
    if (this.isOp(':')) {
      this.next();
      const to = this.isOp(']') ? null : this.expression(0);
      this.expect(']');
      return { type: 'slice', object, from, to };
    }
    this.expect(']');
    return { type: 'member', object, property: from, optional };
  }

  private postfix(node: Node): Node {
    let out = node;
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op') return out;
      if (token.value === '.' || token.value === '?.') {
        this.next();
        const optional = token.value === '?.';
        if (optional && this.isOp('[')) {
          this.next();
          out = this.index(out, true);
          continue;
        }
        const name = this.next();
        if (name.kind !== 'name') this.fail(`expected a field name after "${token.value}"`, name);
        if (this.isOp('(')) this.fail(`methods are not supported: call a function instead, e.g. upper(x) rather than x.upper()`, name);
        out = { type: 'member', object: out, property: { type: 'literal', value: name.value }, optional };
      } else if (token.value === '[') {
        this.next();
        out = this.index(out, false);
      } else {
        return out;
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
