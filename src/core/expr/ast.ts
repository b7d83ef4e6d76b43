/** The parsed form of an expression. */
export type Node =
  | { type: 'literal'; value: unknown }
  | { type: 'name'; name: string }
  | { type: 'member'; object: Node; property: Node; optional: boolean }
  | { type: 'call'; callee: string; args: Node[]; column: number }
  | { type: 'unary'; op: string; operand: Node }
  | { type: 'binary'; op: string; left: Node; right: Node }
  | { type: 'conditional'; test: Node; then: Node; otherwise: Node }
  | { type: 'array'; items: Node[] }
  | { type: 'map'; entries: Array<{ key: Node; value: Node }> };
