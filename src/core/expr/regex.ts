import { RE2JS } from 're2js';

/**
 * Regular expressions for `matches`. Tork evaluates them with Go's RE2: linear
 * time, Go's syntax (no backreferences or lookaround) and Go's error messages.
 * re2js is a port of RE2, so a pattern behaves here as it does in Tork, and no
 * pattern (`(a+)+$`, say) can stall the server while a task is being created.
 */

const cache = new Map<string, RE2JS>();
const CACHE_LIMIT = 500;

/** A compiled pattern; `test` is Go's `MatchString`: a match anywhere in the text. */
export function compileRegex(pattern: string): { test(text: string): boolean } {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    throw new Error(`matches: ${(error as Error).message}`);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(pattern, regex);
  return regex;
}
