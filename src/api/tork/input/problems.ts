import { invalidInput, type GantryError } from '../../../core/errors.js';
import { formatPath, type FieldPath, type Position, type SourceMap } from './positions.js';

/**
 * One thing wrong with a submission. Tork's validator answers go-playground text
 * (`Key: 'Job.Tasks[0].Name' Error:Field validation for 'Name' failed on the
 * 'required' tag`); Gantry says the field path, the reason and the line instead.
 */
export interface Problem {
  /** The field the message is about. */
  path: FieldPath;
  message: string;
  /** Where to point instead of at the field's value, e.g. at an unknown key inside it. */
  pointAt?: { path: FieldPath; part: 'key' | 'value' };
}

/** How many problems the message lists; all of them (up to a cap) are in `details`. */
const LISTED = 5;
const DETAILED = 50;

interface LocatedProblem {
  field: string;
  message: string;
  line?: number;
  column?: number;
  text: string;
}

function locate(problem: Problem, source: SourceMap): LocatedProblem {
  const field = formatPath(problem.path);
  const position = problem.pointAt
    ? source.locate(problem.pointAt.path, problem.pointAt.part)
    : source.locate(problem.path);
  const where = position ? ` (line ${position.line}, column ${position.column})` : '';
  return {
    field,
    message: problem.message,
    ...(position ? { line: position.line, column: position.column } : {}),
    text: `${field === '' ? '' : `${field}: `}${problem.message}${where}`,
  };
}

const order = (a: LocatedProblem, b: LocatedProblem): number =>
  (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);

/** The `invalid_input` error for a list of problems, in the order they appear in the text. */
export function problemsError(problems: readonly Problem[], source: SourceMap): GantryError {
  const located = problems.map((problem) => locate(problem, source)).sort(order);
  const listed = located.slice(0, LISTED).map((problem) => problem.text);
  const more = located.length - listed.length;
  const message = more > 0 ? `${listed.join('; ')}; and ${more} more` : listed.join('; ');
  const details = located.slice(0, DETAILED).map(({ text: _text, ...rest }) => rest);
  return invalidInput(message, { problems: details });
}

/** A syntax error of the body itself, at a known position. */
export function syntaxError(message: string, position: Position | undefined): GantryError {
  if (!position) return invalidInput(message);
  return invalidInput(`line ${position.line}, column ${position.column}: ${message}`, { line: position.line, column: position.column });
}
