import { invalidInput } from '../../core/errors.js';
import type { MetricSample } from '../../core/metrics.js';

/**
 * InfluxDB line protocol as ClusterCockpit's metric store takes it:
 * `<metric>,cluster=<c>,hostname=<h>[,type=<scope>,type-id=<id>] value=<v> [<timestamp>]`.
 * The measurement is the metric, the `value` field its value; `cluster` may
 * come from the request instead. Timestamps are in `precision` (s, ms, us, ns),
 * else guessed from their size; none means now. A line that cannot be read is
 * 400 naming its number.
 */
export function parseLineProtocol(text: string, options: { cluster?: string; precision?: string; now: number }): MetricSample[] {
  const divisor = precisionDivisor(options.precision);
  const samples: MetricSample[] = [];
  let lineNumber = 0;
  for (const raw of text.split('\n')) {
    lineNumber++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = splitUnescaped(line, ' ');
    if (parts.length < 2 || parts.length > 3) throw invalidInput(`line ${lineNumber}: expected "<metric>,<tags> value=<number> [<timestamp>]"`);
    const [series, fields, stamp] = parts as [string, string, string | undefined];
    const keys = splitUnescaped(series, ',');
    const metric = unescape(keys[0]!);
    if (metric === '') throw invalidInput(`line ${lineNumber}: the metric name is missing`);
    let cluster = options.cluster;
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
    let value: number | undefined;
    for (const pair of splitUnescaped(fields, ',')) {
      const at = pair.indexOf('=');
      if (at <= 0) throw invalidInput(`line ${lineNumber}: field ${pair} is not key=value`);
      if (pair.slice(0, at) !== 'value') continue;
      let text = pair.slice(at + 1);
      const lastChar = text.charCodeAt(text.length - 1);
      // 105 'i', 117 'u': integer fields.
      if (lastChar === 105 || lastChar === 117) text = text.slice(0, -1);
      value = Number(text);
      if (text === '' || !Number.isFinite(value)) throw invalidInput(`line ${lineNumber}: value ${pair.slice(at + 1)} is not a number`);
    }
    if (value === undefined) throw invalidInput(`line ${lineNumber}: no value field`);
    if (!cluster) throw invalidInput(`line ${lineNumber}: no cluster (a cluster tag, or ?cluster= on the request)`);
    if (!host) throw invalidInput(`line ${lineNumber}: no hostname tag`);
    let ts: number;
    if (stamp === undefined) ts = Math.floor(options.now / 1000);
    else {
      const number = Number(stamp);
      if (!Number.isInteger(number) || number < 0 || stamp.length > 19) throw invalidInput(`line ${lineNumber}: timestamp ${stamp} is not a whole number`);
      ts = Math.floor(number / (divisor ?? guessDivisor(number)));
    }
    samples.push({ cluster, host, metric, scope, scopeId, jobId: null, ts, value });
  }
  return samples;
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

function splitUnescaped(text: string, separator: string): string[] {
  // Most lines have no escapes or quotes: a plain split.
  if (!text.includes('\\') && !text.includes('"')) return text.split(separator).filter((part) => part !== '' || separator !== ' ');
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
