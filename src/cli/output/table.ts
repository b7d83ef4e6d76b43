/** ANSI styles the CLI uses; applied only when the output is a terminal. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

/** A table cell: plain text, or text with a style for terminals. */
export type Cell = string | { text: string; style?: Style };

export interface TableOptions {
  /** Emit ANSI styles (callers pass `stream.isTTY`, so pipes and files get plain text). */
  color?: boolean;
  /** Per column; numbers read best right-aligned. Default left. */
  align?: ReadonlyArray<'left' | 'right'>;
}

const ANSI: Record<Style, [string, string]> = {
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  red: ['\x1b[31m', '\x1b[39m'],
  green: ['\x1b[32m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
};

/** Wraps text in an ANSI style when `color` is on. */
export function paint(text: string, style: Style | undefined, color: boolean): string {
  if (!color || style === undefined || text === '') return text;
  const [open, close] = ANSI[style];
  return `${open}${text}${close}`;
}

/**
 * One line per cell: a job name or error with a newline, a tab or an escape
 * sequence would break the columns or drive the terminal, so control characters
 * become spaces.
 */
export function cleanCell(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

/** Columns count code points, so "é" or "…" is one column wide. */
const width = (text: string): number => [...text].length;

/**
 * Renders rows under a header as aligned columns two spaces apart. Widths come
 * from the longest cell; the last column is not padded, so lines carry no
 * trailing blanks. Returns the text with a final newline (empty when there is
 * nothing to show).
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>, options: TableOptions = {}): string {
  const color = options.color ?? false;
  const header: Cell[] = headers.map((text) => ({ text, style: 'bold' }));
  // No headers: a plain key/value listing (`jobs get`) uses the same alignment.
  const all = (headers.length > 0 ? [header, ...rows] : rows).map((row) => row.map((cell) => (typeof cell === 'string' ? { text: cleanCell(cell) } : { ...cell, text: cleanCell(cell.text) })));
  const columns = Math.max(0, ...all.map((row) => row.length));
  if (all.length === 0 || columns === 0) return '';
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...all.map((row) => width(row[i]?.text ?? ''))));
  const lines = all.map((row) => {
    const cells = widths.map((columnWidth, i) => {
      const cell = row[i] ?? { text: '' };
      const pad = ' '.repeat(columnWidth - width(cell.text));
      const right = options.align?.[i] === 'right';
      const last = i === columns - 1;
      const text = paint(cell.text, cell.style, color);
      return right ? pad + text : last ? text : text + pad;
    });
    return cells.join('  ').trimEnd();
  });
  return `${lines.join('\n')}\n`;
}
