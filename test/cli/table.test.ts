import { describe, expect, it } from 'vitest';
import { formatDuration, formatSpan, stateCell, truncate } from '../../src/cli/output/format.js';
import { cleanCell, renderTable } from '../../src/cli/output/table.js';

describe('renderTable', () => {
  it('sizes each column to its longest cell, two spaces apart, without trailing blanks', () => {
    const text = renderTable(
      ['ID', 'NAME', 'STATE'],
      [
        ['1', 'a rather long name', 'COMPLETED'],
        ['22', 'short', 'FAILED'],
      ],
    );
    expect(text).toBe(['ID  NAME                STATE', '1   a rather long name  COMPLETED', '22  short               FAILED', ''].join('\n'));
    for (const line of text.split('\n')) expect(line).toBe(line.trimEnd());
  });

  it('right-aligns the columns asked for', () => {
    const text = renderTable(['NAME', 'SIZE'], [['default', '12'], ['x', '3']], { align: ['left', 'right'] });
    expect(text).toBe(['NAME     SIZE', 'default    12', 'x           3', ''].join('\n'));
  });

  it('writes no escape sequences without colour, and styles cells with it', () => {
    const rows = [['1', stateCell('FAILED')]];
    const plain = renderTable(['ID', 'STATE'], rows, { color: false });
    expect(plain).not.toContain('\x1b[');
    expect(plain).toBe('ID  STATE\n1   FAILED\n');
    const coloured = renderTable(['ID', 'STATE'], rows, { color: true });
    expect(coloured).toContain('\x1b[31mFAILED\x1b[39m');
    expect(coloured).toContain('\x1b[1mID\x1b[22m');
    // Escape sequences take no columns: stripped, the coloured table is the plain one.
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(plain);
  });

  it('keeps each row on one line whatever the cells contain', () => {
    const text = renderTable(['NAME', 'ERROR'], [['multi\nline', 'tab\there \x1b[31mred']]);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).not.toContain('\x1b');
    expect(cleanCell('a\r\n\tb')).toBe('a b');
  });

  it('pads short rows and counts wide characters as one column', () => {
    expect(renderTable(['A', 'B', 'C'], [['é…', 'x']])).toBe('A   B  C\né…  x\n');
  });

  it('renders key/value listings without a header, and nothing for nothing', () => {
    expect(renderTable([], [['ID:', '1'], ['STATE:', 'RUNNING']])).toBe('ID:     1\nSTATE:  RUNNING\n');
    expect(renderTable([], [])).toBe('');
    expect(renderTable(['ID', 'NAME'], [])).toBe('ID  NAME\n');
  });
});

describe('formatting', () => {
  it('shows durations at a readable precision', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(4_250)).toBe('4.2s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration(2 * 3_600_000 + 7 * 60_000)).toBe('2h07m');
    expect(formatDuration(-1)).toBe('-');
  });

  it('measures spans between timestamps, and to now while running', () => {
    expect(formatSpan('2023-09-05T01:33:08.413605Z', '2023-09-05T01:33:14.167127Z')).toBe('5.7s');
    expect(formatSpan('2023-09-05T01:33:08Z', undefined, Date.parse('2023-09-05T01:34:08Z'))).toBe('1m00s');
    expect(formatSpan(undefined, undefined)).toBe('-');
  });

  it('cuts long text with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
