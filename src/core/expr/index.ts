// Placeholder signatures; the evaluator lands in this folder.
export type ExpressionContext = Record<string, unknown>;

export function validateExpression(_source: string): void {
  throw new Error('expression evaluator not built yet');
}

export function evaluateExpression(_source: string, _context: ExpressionContext): unknown {
  throw new Error('expression evaluator not built yet');
}

export function evaluateTemplate(_text: string, _context: ExpressionContext): string {
  throw new Error('expression evaluator not built yet');
}

export function evaluateTemplateValue(_text: string, _context: ExpressionContext): unknown {
  throw new Error('expression evaluator not built yet');
}

export function validateTemplate(_text: string): void {
  throw new Error('expression evaluator not built yet');
}
