import { invalidInput } from '../errors.js';
import type { Node } from './ast.js';
import { read, slice } from './collections.js';
import { FUNCTIONS } from './functions.js';
import { PREDICATES } from './predicates.js';
import { compileRegex } from './regex.js';
import { compare, describe, equal, isStringMap, MAX_ITEMS, MAX_STRING, truthy } from './values.js';

/**
 * How much one evaluation may do: a unit per node evaluated and per list item
 * built, so `map(1..100000, 1..100000)` stops with an error instead of filling
 * the server's memory.
 */
const WORK_BUDGET = 5_000_000;

interface Frame {
  element: unknown;
  index: number;
  acc: unknown;
}

interface Scope {
  context: Record<string, unknown>;
  locals: ReadonlyMap<string, unknown> | null;
  frame: Frame | null;
  budget: { left: number };
}

function charge(scope: Scope, units: number): void {
  scope.budget.left -= units;
  if (scope.budget.left < 0) throw new Error('the expression does too much work (it builds or visits too many values)');
}

/** Member access; a missing key of Tork's string maps (`inputs`, `tasks`, …) reads as "". */
function member(object: unknown, key: unknown): unknown {
  const value = read(object, key);
  if (value === null && object !== null && typeof object === 'object' && !Array.isArray(object) && isStringMap(object)) {
    return Object.prototype.hasOwnProperty.call(object, String(key)) ? null : '';
  }
  return value;
}

function number(value: unknown, op: string): number {
  if (typeof value === 'number') return value;
  throw new Error(`operator ${op} needs numbers, got ${describe(value)}`);
}

function includes(container: unknown, item: unknown, op: string): boolean {
  if (Array.isArray(container)) return container.some((element) => equal(element, item));
  if (typeof container === 'string') return container.includes(String(item ?? ''));
  if (container !== null && typeof container === 'object') return Object.prototype.hasOwnProperty.call(container, String(item));
  if (container === null || container === undefined) return false;
  throw new Error(`operator ${op} needs a list, map or string on its right, got ${describe(container)}`);
}

function matches(text: unknown, pattern: unknown): boolean {
  return compileRegex(String(pattern ?? '')).test(String(text ?? ''));
}

function plus(left: unknown, right: unknown): unknown {
  if (typeof left === 'string' && typeof right === 'string') {
    if (left.length + right.length > MAX_STRING) throw new Error(`operator + would build a string longer than ${MAX_STRING} characters`);
    return left + right;
  }
  if (typeof left === 'string' || typeof right === 'string') throw new Error(`operator + cannot join ${describe(left)} and ${describe(right)}`);
  if (Array.isArray(left) && Array.isArray(right)) {
    if (left.length + right.length > MAX_ITEMS) throw new Error(`operator + would build a list of more than ${MAX_ITEMS} items`);
    return [...left, ...right];
  }
  return number(left, '+') + number(right, '+');
}

function binary(op: string, left: unknown, right: unknown): unknown {
  switch (op) {
    case '+':
      return plus(left, right);
    case '-':
      return number(left, op) - number(right, op);
    case '*':
      return number(left, op) * number(right, op);
    case '/':
    case '%': {
      const divisor = number(right, op);
      if (divisor === 0) throw new Error(op === '/' ? 'division by zero' : 'modulo by zero');
      return op === '/' ? number(left, op) / divisor : number(left, op) % divisor;
    }
    case '**':
    case '^':
      return number(left, op) ** number(right, op);
    case '==':
      return equal(left, right);
    case '!=':
      return !equal(left, right);
    case '<':
      return compare(left, right, `operator ${op}`) < 0;
    case '>':
      return compare(left, right, `operator ${op}`) > 0;
    case '<=':
      return compare(left, right, `operator ${op}`) <= 0;
    case '>=':
      return compare(left, right, `operator ${op}`) >= 0;
    case 'in':
      return includes(right, left, op);
    case 'contains':
      return includes(left, right, op);
    case 'startsWith':
      return String(left ?? '').startsWith(String(right ?? ''));
    case 'endsWith':
      return String(left ?? '').endsWith(String(right ?? ''));
    case 'matches':
      return matches(left, right);
    case '..': {
      const from = number(left, op);
      const to = number(right, op);
      if (!Number.isInteger(from) || !Number.isInteger(to)) throw new Error('operator .. needs integers');
      if (to - from >= MAX_ITEMS) throw new Error(`a range holds at most ${MAX_ITEMS} items`);
      const out: number[] = [];
      for (let i = from; i <= to; i++) out.push(i);
      return out;
    }
    default:
      throw new Error(`unknown operator ${op}`);
  }
}

function evaluateCall(node: Extract<Node, { type: 'call' }>, scope: Scope): unknown {
  const predicate = Object.prototype.hasOwnProperty.call(PREDICATES, node.callee) ? PREDICATES[node.callee] : undefined;
  if (predicate) {
    const [source, ...rest] = node.args;
    const body = rest[0]?.type === 'predicate' ? rest[0].body : undefined;
    const extra = (body ? rest.slice(1) : rest).map((arg) => evaluate(arg, scope));
    const run = body
      ? (element: unknown, index: number, acc?: unknown): unknown => {
          charge(scope, 1);
          return evaluate(body, { ...scope, frame: { element, index, acc } });
        }
      : undefined;
    return predicate.call(evaluate(source!, scope), run, extra);
  }
  const fn = Object.prototype.hasOwnProperty.call(FUNCTIONS, node.callee) ? FUNCTIONS[node.callee] : undefined;
  if (!fn) throw invalidInput(`unknown function ${node.callee}`);
  return fn.call(...node.args.map((arg) => evaluate(arg, scope)));
}

function evaluate(node: Node, scope: Scope): unknown {
  charge(scope, 1);
  const value = evaluateNode(node, scope);
  if (Array.isArray(value)) charge(scope, value.length);
  return value;
}

function evaluateNode(node: Node, scope: Scope): unknown {
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'name':
      return scope.locals?.has(node.name) ? scope.locals.get(node.name) : read(scope.context, node.name);
    case 'member':
      return member(evaluate(node.object, scope), evaluate(node.property, scope));
    case 'slice':
      return slice(evaluate(node.object, scope), node.from && evaluate(node.from, scope), node.to && evaluate(node.to, scope));
    case 'pointer': {
      if (!scope.frame) throw new Error('# is only defined inside a predicate');
      if (node.name === 'index') return scope.frame.index;
      return node.name === 'acc' ? scope.frame.acc : scope.frame.element;
    }
    case 'predicate':
      throw new Error('a predicate can only be an argument of a function such as filter or map');
    case 'array':
      return node.items.map((item) => evaluate(item, scope));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const entry of node.entries) {
        const key = String(evaluate(entry.key, scope));
        if (key === '__proto__') throw new Error('the map key "__proto__" is not allowed');
        out[key] = evaluate(entry.value, scope);
      }
      return out;
    }
    case 'unary': {
      const value = evaluate(node.operand, scope);
      if (node.op === '!') return !truthy(value);
      return node.op === '-' ? -number(value, '-') : number(value, '+');
    }
    case 'conditional':
      return truthy(evaluate(node.test, scope)) ? evaluate(node.then, scope) : evaluate(node.otherwise, scope);
    case 'let': {
      const locals = new Map(scope.locals ?? []);
      locals.set(node.name, evaluate(node.value, scope));
      return evaluate(node.body, { ...scope, locals });
    }
    case 'sequence': {
      let last: unknown = null;
      for (const item of node.nodes) last = evaluate(item, scope);
      return last;
    }
    case 'call':
      return evaluateCall(node, scope);
    case 'binary': {
      switch (node.op) {
        case 'and':
        case '&&':
          return truthy(evaluate(node.left, scope)) && truthy(evaluate(node.right, scope));
        case 'or':
        case '||':
          return truthy(evaluate(node.left, scope)) || truthy(evaluate(node.right, scope));
        case '??': {
          const left = evaluate(node.left, scope);
          return left === null || left === undefined ? evaluate(node.right, scope) : left;
        }
        case '?:': {
          const left = evaluate(node.left, scope);
          return truthy(left) ? left : evaluate(node.right, scope);
        }
        default:
          return binary(node.op, evaluate(node.left, scope), evaluate(node.right, scope));
      }
    }
  }
}

/** Evaluates a parsed expression against plain data; errors are plain Errors (or GantryErrors). */
export function evaluateRoot(node: Node, context: Record<string, unknown>): unknown {
  return evaluate(node, { context, locals: null, frame: null, budget: { left: WORK_BUDGET } });
}
