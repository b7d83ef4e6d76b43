import { invalidInput, isGantryError } from '../errors.js';
import { evaluateNode } from './evaluate.js';
import { parseExpression } from './parser.js';

/**
 * Pipeline expressions: `{{ … }}` in job definitions, in the expr-lang syntax Tork
 * uses. Written here rather than taken from a library because no maintained
 * JavaScript library speaks expr-lang (its `and`/`or`/`in`/`matches`, nil-safe
 * member access); see docs/expressions.md for what is supported.
 */
export type ExpressionContext = Record<string, unknown>;

const TEMPLATE = /\{\{([\s\S]*?)\}\}/g;

function fail(source: string, error: unknown): never {
  if (isGantryError(error)) throw error;
  throw invalidInput(`expression "${source.trim()}": ${error instanceof Error ? error.message : String(error)}`);
}

/** Syntax check only. */
export function validateExpression(source: string): void {
  parseExpression(source.trim());
}

export function evaluateExpression(source: string, context: ExpressionContext): unknown {
  const node = parseExpression(source.trim());
  try {
    return evaluateNode(node, context);
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

export function evaluateTemplate(text: string, context: ExpressionContext): string {
  if (!text.includes('{{')) return text;
  checkBraces(text);
  return text.replace(TEMPLATE, (_whole, source: string) => render(evaluateExpression(source, context)));
}

/** A string that is exactly one `{{ expr }}` yields the raw value (a list for `each.list`). */
export function evaluateTemplateValue(text: string, context: ExpressionContext): unknown {
  const whole = /^\s*\{\{([\s\S]*?)\}\}\s*$/.exec(text);
  if (whole && !whole[1]!.includes('{{')) return evaluateExpression(whole[1]!, context);
  return evaluateTemplate(text, context);
}
