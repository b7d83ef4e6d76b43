import { maskSecrets, REDACTED } from '../../core/secrets.js';

/**
 * What Tork hides when it shows a job or a task (its redaction middleware, on by
 * default), applied by Gantry to every Tork answer:
 *
 * - the values of `env`, `inputs`, webhook `headers`, mount `opts` and the job
 *   context's task results whose key contains SECRET, PASSWORD or ACCESS_KEY (any
 *   case), so `AWS_SECRET_ACCESS_KEY` or `DB_PASSWORD` never come back;
 * - every `secrets` map (the job's, the context's, a subjob's): its keys are shown,
 *   its values are not;
 * - a `registry` password;
 * - and, everywhere else, any occurrence of one of the job's secret values.
 */
const SENSITIVE_KEY_WORDS = ['SECRET', 'PASSWORD', 'ACCESS_KEY'] as const;

/** Keys whose string maps hold values that are hidden when their own key looks sensitive. */
const KEYED_MAPS = new Set(['env', 'inputs', 'headers', 'opts', 'tasks']);

export function isSensitiveKey(key: string): boolean {
  const upper = key.toUpperCase();
  return SENSITIVE_KEY_WORDS.some((word) => upper.includes(word));
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
  );
}

function redactVars(map: Record<string, string>, secrets: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map).map(([key, value]) => [key, isSensitiveKey(key) ? REDACTED : maskSecrets(value, secrets)]),
  );
}

const hideValues = (map: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.keys(map).map((key) => [key, REDACTED]));

/**
 * A rendered Tork answer (job, task, scheduled job) with what Tork hides hidden.
 * Walks the value once, so a `[REDACTED]` it puts in is never masked again.
 */
export function redactTork<T>(value: T, secrets: readonly string[]): T {
  return walk(value, secrets) as T;
}

function walk(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return maskSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((item: unknown) => walk(item, secrets));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'secrets' && isStringMap(child)) out[key] = hideValues(child);
    else if (KEYED_MAPS.has(key) && isStringMap(child)) out[key] = redactVars(child, secrets);
    else if (key === 'registry' && child !== null && typeof child === 'object' && !Array.isArray(child)) {
      const registry = walk(child, secrets) as Record<string, unknown>;
      out[key] = 'password' in registry ? { ...registry, password: REDACTED } : registry;
    } else out[key] = walk(child, secrets);
  }
  return out;
}
