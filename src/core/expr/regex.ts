/**
 * Regular expressions for `matches`. Tork evaluates them with Go's RE2, which
 * runs in linear time and has no backreferences or lookaround. JavaScript's
 * engine backtracks: a pattern such as `(a+)+$` can take exponential time and
 * would stall the server while a task is being created. So patterns RE2 would
 * refuse are refused here too, and so is nested repetition (a repeated group
 * that itself repeats), the shape behind catastrophic backtracking.
 */

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 500;

/** What RE2 does not support, found outside character classes. */
function unsupported(pattern: string): string | undefined {
  let inClass = false;
  // For each open group: whether something inside it repeats.
  const groups: boolean[] = [];
  let lastGroupRepeats = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) return 'backreferences are not supported (as in Go)';
      i++;
      lastGroupRepeats = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      lastGroupRepeats = false;
      continue;
    }
    if (c === '(') {
      if (/^\(\?<?[=!]/.test(pattern.slice(i, i + 4))) return 'lookahead and lookbehind are not supported (as in Go)';
      groups.push(false);
      continue;
    }
    if (c === ')') {
      const inner = groups.pop() ?? false;
      if (inner && groups.length > 0) groups[groups.length - 1] = true;
      lastGroupRepeats = inner;
      continue;
    }
    const repeats = c === '*' || c === '+' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
    if (repeats) {
      if (pattern[i - 1] === ')' && lastGroupRepeats) return 'nested repetition such as (a+)+ is refused: it can take exponential time';
      if (groups.length > 0) groups[groups.length - 1] = true;
    }
    lastGroupRepeats = false;
  }
  return undefined;
}

export function compileRegex(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const problem = unsupported(pattern);
  if (problem) throw new Error(`matches: ${problem}`);
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    throw new Error(`matches: invalid regular expression: ${(error as Error).message}`);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(pattern, regex);
  return regex;
}
