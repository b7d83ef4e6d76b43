import { invalidInput } from '../errors.js';
import type { Node } from './ast.js';
import { describe, FUNCTIONS } from './functions.js';

/** Only these are readable: own properties of plain data, never the prototype chain. */
function read(object: unknown, key: unknown): unknown {
  if (object === null || object === undefined) return null;
  if (Array.isArray(object)) {
    if (key === 'length') return object.length;
    const index = Number(key);
    if (!Number.isInteger(index)) return null;
    return object[index < 0 ? object.length + index : index] ?? null;
  }
  if (typeof object === 'string') {
    const index = Number(key);
    return Number.isInteger(index) ? (object[index < 0 ? object.length + index : index] ?? null) : null;
  }
  if (typeof object === 'object') {
    const name = String(key);
    return Object.prototype.hasOwnProperty.call(object, name) ? ((object as Record<string, unknown>)[name] ?? null) : null;
  }
  return null;
}

function truthy(value: unknown): boolean {
  return !(value === false || value === null || value === undefined || value === 0 || value === '');
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

function number(value: unknown, op: string): number {
  if (typeof value === 'number') return value;
  throw new Error(`operator ${op} needs numbers, got ${describe(value)}`);
}

function includes(container: unknown, item: unknown, op: string): boolean {
  if (Array.isArray(container)) return container.some((element) => equal(element, item));
  if (typeof container === 'string') return container.includes(String(item));
  if (container !== null && typeof container === 'object') return Object.prototype.hasOwnProperty.call(container, String(item));
  if (container === null || container === undefined) return false;
  throw new Error(`operator ${op} needs a list, map or string on its right, got ${describe(container)}`);
}

function binary(op: string, left: unknown, right: unknown): unknown {
  switch (op) {
    case '+':
      if (typeof left === 'string' || typeof right === 'string') {
        if (typeof left === 'string' && typeof right === 'string') return left + right;
        throw new Error(`operator + cannot join ${describe(left)} and ${describe(right)}`);
      }
      if (Array.isArray(left) && Array.isArray(right)) return [...left, ...right];
      return number(left, op) + number(right, op);
    case '-':
      return number(left, op) - number(right, op);
    case '*':
      return number(left, op) * number(right, op);
    case '/': {
      const divisor = number(right, op);
      if (divisor === 0) throw new Error('division by zero');
      return number(left, op) / divisor;
    }
    case '%': {
      const divisor = number(right, op);
      if (divisor === 0) throw new Error('division by zero');
      return number(left, op) % divisor;
    }
    case '**':
      return number(left, op) ** number(right, op);
    case '==':
      return equal(left, right);
    case '!=':
      return !equal(left, right);
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (!((typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string'))) {
        throw new Error(`operator ${op} cannot compare ${describe(left)} and ${describe(right)}`);
      }
      const a = left as number | string;
      const b = right as number | string;
      return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
    }
    case 'in':
      return includes(right, left, op);
    case 'not in':
      return !includes(right, left, op);
    case 'contains':
      return includes(left, right, op);
    case 'startsWith':
      return String(left ?? '').startsWith(String(right ?? ''));
    case 'endsWith':
      return String(left ?? '').endsWith(String(right ?? ''));
    case 'matches':
      return new RegExp(String(right)).test(String(left ?? ''));
    case '..': {
      const from = number(left, op);
      const to = number(right, op);
      if (to - from > 100_000) throw new Error('a range holds at most 100000 items');
      const out: number[] = [];
      for (let i = from; i <= to; i++) out.push(i);
      return out;
    }
    default:
      throw new Error(`unknown operator ${op}`);
  }
}

export function evaluateNode(node: Node, context: Record<string, unknown>): unknown {
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'name':
      return read(context, node.name);
    case 'member':
      return read(evaluateNode(node.object, context), evaluateNode(node.property, context));
    case 'array':
      return node.items.map((item) => evaluateNode(item, context));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const entry of node.entries) out[String(evaluateNode(entry.key, context))] = evaluateNode(entry.value, context);
      return out;
    }
    case 'unary': {
      const value = evaluateNode(node.operand, context);
      if (node.op === '!') return !truthy(value);
      return node.op === '-' ? -number(value, '-') : number(value, '+');
    }
    case 'conditional':
      return truthy(evaluateNode(node.test, context)) ? evaluateNode(node.then, context) : evaluateNode(node.otherwise, context);
    case 'binary': {
      if (node.op === 'and' || node.op === '&&') return truthy(evaluateNode(node.left, context)) && truthy(evaluateNode(node.right, context));
      if (node.op === 'or' || node.op === '||') return truthy(evaluateNode(node.left, context)) || truthy(evaluateNode(node.right, context));
      if (node.op === '??') {
        const left = evaluateNode(node.left, context);
        return left === null || left === undefined ? evaluateNode(node.right, context) : left;
      }
      return binary(node.op, evaluateNode(node.left, context), evaluateNode(node.right, context));
    }
    case 'call': {
      const fn = Object.prototype.hasOwnProperty.call(FUNCTIONS, node.callee) ? FUNCTIONS[node.callee] : undefined;
      if (!fn) throw invalidInput(`unknown function ${node.callee}`);
      return fn(...node.args.map((arg) => evaluateNode(arg, context)));
    }
  }
}
