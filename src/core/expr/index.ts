import { invalidInput, isGantryError } from '../errors.js';
import { evaluateRoot } from './evaluate.js';
import { collectNames } from './names.js';
import { parseExpression } from './parser.js';

/**
 * Pipeline expressions: `{{ … }}` in job definitions, in the expr-lang syntax Tork
 * uses. Written here rather than taken from a library because no maintained
 * JavaScript library speaks expr-lang (its `and`/`or`/`in`/`matches`, predicates
 * with `#`, nil-safe member access); see docs/expressions.md for what is supported.
 */
export type ExpressionContext = Record<string, unknown>;

export { describe as describeValue, stringMap } from './values.js';

const TEMPLATE = /\{\{([\s\S]*?)\}\}/g;

function fail(source: string, error: unknown): never {
  if (isGantryError(error)) throw error;
  throw invalidInput(`expression "${source.trim()}": ${error instanceof Error ? error.message : String(error)}`);
}

/** Syntax check, function names and argument counts included. */
export function validateExpression(source: string): void {
  parseExpression(source.trim());
}

/** The top-level names an expression reads, e.g. `["inputs", "item"]`. */
export function expressionNames(source: string): string[] {
  const names = new Set<string>();
  collectNames(parseExpression(source.trim()), names);
  return [...names];
}

export function evaluateExpression(source: string, context: ExpressionContext): unknown {
  const node = parseExpression(source.trim());
  try {
    return evaluateRoot(node, context);
  } catch (error) {
    return fail(source, error);
  }
}

/** How a value reads inside a string: scalars as text, lists and maps as JSON, nil as empty. */
function render(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function checkBraces(text: string): void {
  const stripped = text.replace(TEMPLATE, '');
  if (stripped.includes('{{')) throw invalidInput(`template "${text}": "{{" without a closing "}}"`);
}

export function validateTemplate(text: string): void {
  checkBraces(text);
  for (const match of text.matchAll(TEMPLATE)) validateExpression(match[1]!);
}

/** The top-level names the `{{ … }}` parts of a string read. */
export function templateNames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(TEMPLATE)) for (const name of expressionNames(match[1]!)) names.add(name);
  return [...names];
}

export function evaluateTemplate(text: string, context: ExpressionContext): string {
  if (!text.includes('{{')) return text;
  checkBraces(text);
  const out = text.replace(TEMPLATE, (_whole, source: string) => render(evaluateExpression(source, context)));
  // No stored or passed-on text can hold U+0000 (PostgreSQL refuses it, and so do process environments).
  if (out.includes('\0')) throw invalidInput(`template "${text.trim()}": its value holds a NUL character (\\u0000), which no field can hold`);
  return out;
}

/** A string that is exactly one `{{ expr }}` yields the raw value (a list for `each.list`). */
export function evaluateTemplateValue(text: string, context: ExpressionContext): unknown {
  const whole = /^\s*\{\{([\s\S]*?)\}\}\s*$/.exec(text);
  if (whole && !whole[1]!.includes('{{')) return evaluateExpression(whole[1]!, context);
  return evaluateTemplate(text, context);
}

/**
 * Fields that take a template or, as Tork allows for `each.list` and a webhook's
 * `if`, a bare expression without braces.
 */
export function evaluateLoose(text: string, context: ExpressionContext): unknown {
  return text.includes('{{') ? evaluateTemplateValue(text, context) : evaluateExpression(text, context);
}
