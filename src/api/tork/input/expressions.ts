import { validateExpression, validateTemplate } from '../../../core/expr/index.js';

const MAX_REASON = 300;

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

/**
 * What is wrong with the `{{ … }}` parts of a string field, or undefined when they
 * are all valid (or there are none). Values are evaluated when tasks are scheduled;
 * checking the syntax now turns a run-time failure into a 400 with a line number.
 */
export function templateProblem(text: string): string | undefined {
  if (!text.includes('{{')) return undefined;
  try {
    validateTemplate(text);
    return undefined;
  } catch (error) {
    return `invalid expression: ${reason(error)}`;
  }
}

/**
 * For the fields Tork validates as expressions (`if`, `each.list`, a webhook's
 * `if`): `{{ … }}` parts, or, without braces, the whole text as one expression,
 * as Tork accepts `list: "1+1"` as well as `list: "{{ 1+1 }}"`.
 */
export function expressionProblem(text: string): string | undefined {
  if (text.includes('{{')) return templateProblem(text);
  try {
    validateExpression(text);
    return undefined;
  } catch (error) {
    return `invalid expression: ${reason(error)}`;
  }
}
