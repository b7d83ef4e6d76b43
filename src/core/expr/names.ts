import type { Node } from './ast.js';

/** Adds to `out` the top-level names an expression reads (`inputs` in `inputs.x`), leaving out its own `let` variables. */
export function collectNames(node: Node, out: Set<string>, bound: ReadonlySet<string> = new Set()): void {
  switch (node.type) {
    case 'name':
      if (!bound.has(node.name)) out.add(node.name);
      return;
    case 'literal':
    case 'pointer':
      return;
    case 'member':
      collectNames(node.object, out, bound);
      collectNames(node.property, out, bound);
      return;
    case 'slice':
      collectNames(node.object, out, bound);
      if (node.from) collectNames(node.from, out, bound);
      if (node.to) collectNames(node.to, out, bound);
      return;
    case 'call':
      for (const arg of node.args) collectNames(arg, out, bound);
      return;
    case 'predicate':
      collectNames(node.body, out, bound);
      return;
    case 'unary':
      collectNames(node.operand, out, bound);
      return;
    case 'binary':
      collectNames(node.left, out, bound);
      collectNames(node.right, out, bound);
      return;
    case 'conditional':
      collectNames(node.test, out, bound);
      collectNames(node.then, out, bound);
      collectNames(node.otherwise, out, bound);
      return;
    case 'array':
      for (const item of node.items) collectNames(item, out, bound);
      return;
    case 'map':
      for (const entry of node.entries) {
        collectNames(entry.key, out, bound);
        collectNames(entry.value, out, bound);
      }
      return;
    case 'let':
      collectNames(node.value, out, bound);
      collectNames(node.body, out, new Set([...bound, node.name]));
      return;
    case 'sequence':
      for (const item of node.nodes) collectNames(item, out, bound);
      return;
  }
}
