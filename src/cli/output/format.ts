import type { Cell, Style } from './table.js';

/** What an empty cell shows, so columns never look shifted. */
export const NONE = '-';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** An RFC 3339 timestamp as local `YYYY-MM-DD HH:MM:SS`; `-` when absent or unreadable. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return NONE;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  return `${day} ${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

/** Milliseconds as `850ms`, `4.2s`, `3m05s`, `2h07m`, `3d04h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return NONE;
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m${pad2(seconds % 60)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h${pad2(minutes % 60)}m`;
  const hours = Math.floor(minutes / 60);
  return `${Math.floor(hours / 24)}d${pad2(hours % 24)}h`;
}

/**
 * How long something ran: start to end, or to `now` while it still runs (the
 * caller marks that). `-` when it never started.
 */
export function formatSpan(start: string | undefined, end: string | undefined, now = Date.now()): string {
  if (!start) return NONE;
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : now;
  if (Number.isNaN(from) || Number.isNaN(to)) return NONE;
  return formatDuration(Math.max(0, to - from));
}

/** A past timestamp relative to now: `4s ago`, `3m05s ago`. */
export function formatAgo(iso: string | undefined, now = Date.now()): string {
  if (!iso) return NONE;
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  return `${formatDuration(Math.max(0, now - then))} ago`;
}

/** Cuts text to `max` columns, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

const STATE_STYLES: Record<string, Style> = {
  COMPLETED: 'green',
  UP: 'green',
  ACTIVE: 'green',
  FAILED: 'red',
  DOWN: 'red',
  CANCELLED: 'yellow',
  STOPPED: 'yellow',
  PAUSED: 'yellow',
  RUNNING: 'cyan',
  SCHEDULED: 'cyan',
  RESTART: 'cyan',
  PENDING: 'dim',
  CREATED: 'dim',
  SKIPPED: 'dim',
  OFFLINE: 'dim',
};

/** A job, task or node state as a cell coloured by what it means. */
export function stateCell(state: string | undefined): Cell {
  if (!state) return NONE;
  const style = STATE_STYLES[state];
  return style ? { text: state, style } : state;
}
