import { invalidInput } from '../errors.js';

export type TokenKind = 'number' | 'string' | 'name' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  value: string;
  /** 1-based column in the expression source. */
  column: number;
}

// Longest first, so that `**` wins over `*`, `==` over `=` and `||` over `|`.
const OPERATORS = [
  '**', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '..',
  '+', '-', '*', '/', '%', '^', '<', '>', '!', '|', '#', '=', ';',
  '(', ')', '[', ']', '{', '}', ',', '.', ':', '?',
];

/** Go's single-character escapes (expr-lang strings follow Go's). */
const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '`': '`' };

/** How many hex digits follow `\x`, `\u` and `\U`. */
const HEX_ESCAPES: Record<string, number> = { x: 2, u: 4, U: 8 };

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string, at: number): never => {
    throw invalidInput(`expression "${source}": ${message} at column ${at + 1}`);
  };

  const number = (start: number): string => {
    const prefix = source.slice(i, i + 2).toLowerCase();
    if (prefix === '0x' || prefix === '0o' || prefix === '0b') {
      const digits = prefix === '0x' ? /[0-9a-fA-F_]/ : prefix === '0o' ? /[0-7_]/ : /[01_]/;
      i += 2;
      const from = i;
      while (i < source.length && digits.test(source[i]!)) i++;
      if (i === from) fail('malformed number', start);
      return String(Number.parseInt(source.slice(from, i).replaceAll('_', ''), prefix === '0x' ? 16 : prefix === '0o' ? 8 : 2));
    }
    while (i < source.length && (isDigit(source[i]) || source[i] === '_')) i++;
    if (source[i] === '.' && isDigit(source[i + 1])) {
      i++;
      while (i < source.length && (isDigit(source[i]) || source[i] === '_')) i++;
    }
    if (source[i] === 'e' || source[i] === 'E') {
      i++;
      if (source[i] === '+' || source[i] === '-') i++;
      if (!isDigit(source[i])) fail('malformed number', start);
      while (i < source.length && isDigit(source[i])) i++;
    }
    return source.slice(start, i).replaceAll('_', '');
  };

  const quoted = (quote: string, start: number): string => {
    i++;
    let text = '';
    while (i < source.length && source[i] !== quote) {
      const c = source[i]!;
      if (c !== '\\' || quote === '`') {
        text += c;
        i++;
        continue;
      }
      const next = source[i + 1];
      if (next === undefined) break;
      const width = HEX_ESCAPES[next];
      if (width !== undefined) {
        const hex = source.slice(i + 2, i + 2 + width);
        const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === width ? Number.parseInt(hex, 16) : Number.NaN;
        if (Number.isNaN(code) || code > 0x10ffff) fail(`malformed escape \\${next}${hex}`, i);
        text += String.fromCodePoint(code);
        i += 2 + width;
      } else if (/[0-7]/.test(next)) {
        const octal = source.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(octal) || Number.parseInt(octal, 8) > 255) fail(`malformed escape \\${octal}`, i);
        text += String.fromCharCode(Number.parseInt(octal, 8));
        i += 4;
      } else {
        const escaped = ESCAPES[next];
        if (escaped === undefined) fail(`unknown escape \\${next}`, i);
        text += escaped;
        i += 2;
      }
    }
    if (source[i] !== quote) fail('unterminated string', start);
    i++;
    return text;
  };

  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment', start);
      i = end + 2;
      continue;
    }
    if (isDigit(c)) {
      tokens.push({ kind: 'number', value: number(start), column: start + 1 });
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      tokens.push({ kind: 'string', value: quoted(c, start), column: start + 1 });
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      while (i < source.length && /[A-Za-z0-9_$]/.test(source[i]!)) i++;
      tokens.push({ kind: 'name', value: source.slice(start, i), column: start + 1 });
      continue;
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (!op) fail(`unexpected character "${c}"`, i);
    tokens.push({ kind: 'op', value: op!, column: start + 1 });
    i += op!.length;
  }
  tokens.push({ kind: 'eof', value: '', column: source.length + 1 });
  return tokens;
}
