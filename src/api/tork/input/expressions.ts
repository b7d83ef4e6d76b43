import { expressionNames, templateNames, validateExpression, validateTemplate } from '../../../core/expr/index.js';
import { closestName } from './suggest.js';

const MAX_REASON = 300;

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

/**
 * A name the expression reads that nothing provides where it is evaluated
 * (`input.x`, or `item` outside an `each`). Tork fails such a task when it runs
 * ("unknown name"); saying so at submission gives the field and the line instead.
 */
function unknownName(used: readonly string[], known: readonly string[]): string | undefined {
  const unknown = used.find((name) => !known.includes(name));
  if (unknown === undefined) return undefined;
  const hint = closestName(unknown, known);
  return `invalid expression: unknown name ${unknown}${hint ? ` (did you mean ${hint}?)` : ''}; here an expression can read ${known.join(', ')}`;
}

/**
 * What is wrong with the `{{ … }}` parts of a string field, or undefined when they
 * are all valid (or there are none). Values are evaluated when tasks are scheduled;
 * checking the syntax, the functions and the names now turns a run-time failure
 * into a 400 with a line number. `names` are the names readable where the field is
 * evaluated; without it only the syntax and the functions are checked.
 */
export function templateProblem(text: string, names?: readonly string[]): string | undefined {
  if (!text.includes('{{')) return undefined;
  try {
    validateTemplate(text);
  } catch (error) {
    return `invalid expression: ${reason(error)}`;
  }
  return names ? unknownName(templateNames(text), names) : undefined;
}

/**
 * For the fields Tork validates as expressions (`if`, `each.list`, a webhook's
 * `if`): `{{ … }}` parts, or, without braces, the whole text as one expression,
 * as Tork accepts `list: "1+1"` as well as `list: "{{ 1+1 }}"`.
 */
export function expressionProblem(text: string, names?: readonly string[]): string | undefined {
  if (text.includes('{{')) return templateProblem(text, names);
  try {
    validateExpression(text);
  } catch (error) {
    return `invalid expression: ${reason(error)}`;
  }
  return names ? unknownName(expressionNames(text), names) : undefined;
}
