/** The parsed form of an expression. */
export type Node =
  | { type: 'literal'; value: unknown }
  | { type: 'name'; name: string }
  | { type: 'member'; object: Node; property: Node; optional: boolean }
  | { type: 'slice'; object: Node; from: Node | null; to: Node | null }
  | { type: 'call'; callee: string; args: Node[]; column: number }
  /** The body of a predicate (`filter(xs, # > 1)`), run once per element. */
  | { type: 'predicate'; body: Node }
  /** Inside a predicate: `#` (name ''), `#index` or `#acc`. */
  | { type: 'pointer'; name: '' | 'index' | 'acc' }
  | { type: 'unary'; op: string; operand: Node }
  | { type: 'binary'; op: string; left: Node; right: Node }
  | { type: 'conditional'; test: Node; then: Node; otherwise: Node }
  | { type: 'array'; items: Node[] }
  | { type: 'map'; entries: Array<{ key: Node; value: Node }> }
  /** `let name = value; body` */
  | { type: 'let'; name: string; value: Node; body: Node }
  /** `a; b`: the value of the last one. */
  | { type: 'sequence'; nodes: Node[] };
