import { invalidInput } from '../../core/errors.js';
import type { SampleBatch, SeriesKey } from '../../core/metrics.js';

/**
 * InfluxDB line protocol as ClusterCockpit's metric store takes it:
 * `<metric>,cluster=<c>,hostname=<h>[,type=<scope>,type-id=<id>] value=<v> [<timestamp>]`.
 * The measurement is the metric, the `value` field its value; `cluster` may
 * come from the request instead. Timestamps are in `precision` (s, ms, us, ns),
 * else guessed from their size; none means now. A line that cannot be read is
 * 400 naming its number. The samples come back as a batch: each series once
 * (a line's series text is read once per body), then the values.
 */
export function parseLineProtocol(text: string, options: { cluster?: string; precision?: string; now: number }): SampleBatch {
  const divisor = precisionDivisor(options.precision);
  const batch: SampleBatch = { keys: [], data: [] };
  const seriesIndex = new Map<string, number>();
  let lineNumber = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNumber++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    line = line.trim();
    const simple = !line.includes('\\') && !line.includes('"');
    const parts = simple ? splitSpaces(line) : splitUnescaped(line, ' ');
    if (parts.length < 2 || parts.length > 3) throw invalidInput(`line ${lineNumber}: expected "<metric>,<tags> value=<number> [<timestamp>]"`);
    const [series, fields, stamp] = parts as [string, string, string | undefined];
    let index = seriesIndex.get(series);
    if (index === undefined) {
      const key = seriesKeyOf(series, simple, options.cluster, lineNumber);
      index = batch.keys.length;
      batch.keys.push(key);
      seriesIndex.set(series, index);
    }
    batch.data.push(index, timestampOf(stamp, divisor, options.now, lineNumber), valueOf(fields, simple, lineNumber));
  }
  return batch;
}

function seriesKeyOf(series: string, simple: boolean, requestCluster: string | undefined, lineNumber: number): SeriesKey {
  const keys = simple ? series.split(',') : splitUnescaped(series, ',');
  const metric = unescape(keys[0]!);
  if (metric === '') throw invalidInput(`line ${lineNumber}: the metric name is missing`);
  let cluster = requestCluster;
  let host: string | undefined;
  let scope = 'node';
  let scopeId = '';
  for (let k = 1; k < keys.length; k++) {
    const pair = keys[k]!;
    const at = pair.indexOf('=');
    if (at <= 0) throw invalidInput(`line ${lineNumber}: tag ${pair} is not key=value`);
    const value = unescape(pair.slice(at + 1));
    switch (unescape(pair.slice(0, at))) {
      case 'cluster':
        cluster = value;
        break;
      case 'hostname':
      case 'host':
        host = value;
        break;
      case 'type':
        scope = value;
        break;
      case 'type-id':
        scopeId = value;
        break;
      default:
      // Other tags (stype, …) are not kept.
    }
  }
  if (!cluster) throw invalidInput(`line ${lineNumber}: no cluster (a cluster tag, or ?cluster= on the request)`);
  if (!host) throw invalidInput(`line ${lineNumber}: no hostname tag`);
  return { cluster, host, metric, scope, scopeId, jobId: '' };
}

function valueOf(fields: string, simple: boolean, lineNumber: number): number {
  // The common case: the one field `value=…`.
  const pairs = fields.startsWith('value=') && !fields.includes(',') ? [fields] : simple ? fields.split(',') : splitUnescaped(fields, ',');
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw invalidInput(`line ${lineNumber}: field ${pair} is not key=value`);
    if (at !== 5 || !pair.startsWith('value')) continue;
    let text = pair.slice(at + 1);
    const last = text.charCodeAt(text.length - 1);
    // 105 'i', 117 'u': integer fields.
    if (last === 105 || last === 117) text = text.slice(0, -1);
    const value = Number(text);
    if (text === '' || !Number.isFinite(value)) throw invalidInput(`line ${lineNumber}: value ${pair.slice(at + 1)} is not a number`);
    return value;
  }
  throw invalidInput(`line ${lineNumber}: no value field`);
}

function timestampOf(stamp: string | undefined, divisor: number | undefined, now: number, lineNumber: number): number {
  if (stamp === undefined) return Math.floor(now / 1000);
  const number = Number(stamp);
  if (!Number.isInteger(number) || number < 0 || stamp.length > 19) throw invalidInput(`line ${lineNumber}: timestamp ${stamp} is not a whole number`);
  return Math.floor(number / (divisor ?? guessDivisor(number)));
}

function precisionDivisor(precision: string | undefined): number | undefined {
  switch (precision) {
    case undefined:
      return undefined;
    case 's':
      return 1;
    case 'ms':
      return 1e3;
    case 'us':
      return 1e6;
    case 'ns':
      return 1e9;
    default:
      throw invalidInput(`precision ${precision} is not one of s, ms, us, ns`);
  }
}

/** Seconds, milliseconds, microseconds or nanoseconds since the epoch, by size. */
function guessDivisor(value: number): number {
  if (value > 1e17) return 1e9;
  if (value > 1e14) return 1e6;
  if (value > 1e11) return 1e3;
  return 1;
}

/** Parts of a line without escapes, at runs of spaces. */
function splitSpaces(line: string): string[] {
  const out: string[] = [];
  let from = 0;
  while (from < line.length) {
    let at = line.indexOf(' ', from);
    if (at < 0) at = line.length;
    if (at > from) out.push(line.slice(from, at));
    from = at + 1;
  }
  return out;
}

function splitUnescaped(text: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\' && i + 1 < text.length) {
      current += char + text[++i];
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      if (current !== '' || separator !== ' ') out.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (current !== '') out.push(current);
  return out;
}

function unescape(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\([,= \\])/g, '$1');
}
