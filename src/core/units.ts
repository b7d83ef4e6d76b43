/**
 * Parsers for the unit-carrying strings of job definitions. They follow the Go
 * parsers Tork hands the same strings to, so a definition means the same thing on
 * both systems: `time.ParseDuration` for timeouts, docker/go-units `RAMInBytes`
 * for `limits.memory`, and the docker CLI's decimal CPU count for `limits.cpus`.
 * Each throws a plain Error naming the bad text; callers add the field path.
 */

const NANOS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['ns', 1],
  ['us', 1e3],
  ['µs', 1e3], // U+00B5 MICRO SIGN
  ['μs', 1e3], // U+03BC GREEK SMALL LETTER MU: Go accepts both spellings
  ['ms', 1e6],
  ['s', 1e9],
  ['m', 60e9],
  ['h', 3600e9],
]);

/** Go's time.Duration is an int64 of nanoseconds: 2^63 ns (about 292 years) or more cannot be represented. */
const DURATION_OVERFLOW_NANOS = 2 ** 63;

// One `<number><unit>` component; the unit runs up to the next digit or dot, as in Go.
const DURATION_PART = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

function durationError(text: string, reason: string): Error {
  return new Error(`invalid duration "${text}": ${reason}; expected e.g. "300ms", "5s", "1m30s" or "1.5h"`);
}

/**
 * Parses a Go duration ("300ms", "-1.5h", "2h45m", "0") into milliseconds. The
 * result may be fractional ("1us" is 0.001) or negative ("-5s"); callers decide
 * which values make sense for their field.
 */
export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw durationError(text, 'it is empty');
  let nanos = 0;
  while (rest !== '') {
    const match = DURATION_PART.exec(rest);
    const [whole, intPart = '', fracPart, unit = ''] = match ?? [];
    if (!match || whole === undefined || (intPart === '' && (fracPart ?? '') === '')) {
      throw durationError(text, 'each part must start with a number');
    }
    if (unit === '') throw durationError(text, `"${intPart}${fracPart === undefined ? '' : `.${fracPart}`}" has no unit`);
    const perUnit = NANOS_PER_UNIT.get(unit);
    if (perUnit === undefined) throw durationError(text, `unknown unit "${unit}" (use ns, us, ms, s, m or h)`);
    const value = Number(`${intPart || '0'}.${fracPart || '0'}`);
    nanos += value * perUnit;
    if (nanos >= DURATION_OVERFLOW_NANOS) throw durationError(text, 'it is longer than about 292 years');
    rest = rest.slice(whole.length);
  }
  // Go truncates to whole nanoseconds; so do we, before converting to milliseconds.
  return (sign * Math.trunc(nanos)) / 1e6;
}

const BYTES_PER_PREFIX: ReadonlyMap<string, number> = new Map([
  ['', 1],
  ['k', 1024],
  ['m', 1024 ** 2],
  ['g', 1024 ** 3],
  ['t', 1024 ** 4],
  ['p', 1024 ** 5],
]);

// go-units RAMInBytes: a decimal number, at most one space, then an optional
// case-insensitive suffix `b`, or a k/m/g/t/p prefix followed by nothing, `b` or `ib`.
// All prefixes are binary (k = 1024), whichever spelling is used.
const MEMORY = /^((?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?) ?(?:b|([kmgtp])(?:b|ib)?)?$/i;

/**
 * Parses a memory size the way Tork's docker runtime does ("512", "100m", "1g",
 * "1.5GB", "64KiB", "10 MB"): every prefix is binary, so "1g" and "1GB" are both
 * 1 GiB. Kubernetes spellings such as "1Gi" are rejected, as in Tork.
 */
export function parseMemoryBytes(text: string): number {
  const match = MEMORY.exec(text);
  if (!match || match[1] === undefined) {
    throw new Error(`invalid memory size "${text}": expected a number with an optional unit b, k, m, g, t or p, e.g. "512m", "1g" or "1GiB"`);
  }
  const prefix = (match[2] ?? '').toLowerCase();
  const bytes = Math.trunc(Number(match[1]) * (BYTES_PER_PREFIX.get(prefix) ?? 1));
  if (!Number.isSafeInteger(bytes)) throw new Error(`invalid memory size "${text}": too large`);
  return bytes;
}

// The docker CLI parses `--cpus` as a rational number and requires a whole number of
// nano-CPUs; Gantry accepts the decimal spellings users write ("2", "0.5", ".25").
const CPUS = /^(\d+)?(?:\.(\d*))?$/;

/** Parses a CPU count ("2", "0.5", ".25") into a number of CPUs. */
export function parseCpus(text: string): number {
  const match = CPUS.exec(text);
  if (!match || (match[1] === undefined && !match[2])) {
    throw new Error(`invalid cpus "${text}": expected a decimal number of CPUs, e.g. "2", "0.5" or ".25"`);
  }
  if ((match[2] ?? '').replace(/0+$/, '').length > 9) {
    throw new Error(`invalid cpus "${text}": too precise (at most 9 decimal places)`);
  }
  return Number(`${match[1] ?? '0'}.${match[2] || '0'}`);
}
