import { invalidInput } from '../errors.js';

export type TokenKind = 'number' | 'string' | 'name' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  value: string;
  /** 1-based column in the expression source. */
  column: number;
}

// Longest first, so that `**` wins over `*` and `==` over `=`.
const OPERATORS = ['**', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '..', '+', '-', '*', '/', '%', '<', '>', '!', '(', ')', '[', ']', '{', '}', ',', '.', ':', '?'];

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string, at: number): never => {
    throw invalidInput(`expression "${source}": ${message} at column ${at + 1}`);
  };
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c)) {
      while (i < source.length && /[0-9_]/.test(source[i]!)) i++;
      if (source[i] === '.' && /[0-9]/.test(source[i + 1] ?? '')) {
        i++;
        while (i < source.length && /[0-9_]/.test(source[i]!)) i++;
      }
      if (/[eE]/.test(source[i] ?? '')) {
        i++;
        if (/[+-]/.test(source[i] ?? '')) i++;
        if (!/[0-9]/.test(source[i] ?? '')) fail('malformed number', start);
        while (i < source.length && /[0-9]/.test(source[i]!)) i++;
      }
      tokens.push({ kind: 'number', value: source.slice(start, i).replaceAll('_', ''), column: start + 1 });
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i++;
      let text = '';
      while (i < source.length && source[i] !== c) {
        if (source[i] === '\\' && c !== '`') {
          const next = source[i + 1];
          if (next === undefined) break;
          const escaped = ESCAPES[next];
          if (escaped === undefined) fail(`unknown escape \\${next}`, i);
          text += escaped;
          i += 2;
        } else {
          text += source[i];
          i++;
        }
      }
      if (source[i] !== c) fail('unterminated string', start);
      i++;
      tokens.push({ kind: 'string', value: text, column: start + 1 });
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
