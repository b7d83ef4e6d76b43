import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GantryError } from '../core/errors.js';
import { configSchema, type ConfigInput, type GantryConfig } from './schema.js';

type Source = { name: string; values: Record<string, unknown> };

/** Environment variable → config key path. One table, so the mapping is easy to audit. */
const ENV_KEYS: Record<string, { path: string[]; type: 'string' | 'number' | 'boolean' | 'list' }> = {
  GANTRY_HOST: { path: ['host'], type: 'string' },
  GANTRY_PORT: { path: ['port'], type: 'number' },
  GANTRY_DATA: { path: ['dataDir'], type: 'string' },
  GANTRY_DATA_DIR: { path: ['dataDir'], type: 'string' },
  GANTRY_DATABASE_URL: { path: ['database'], type: 'string' },
  GANTRY_SERVER: { path: ['server'], type: 'string' },
  GANTRY_LOG_LEVEL: { path: ['logLevel'], type: 'string' },
  GANTRY_WORKER_ENABLED: { path: ['worker', 'enabled'], type: 'boolean' },
  GANTRY_WORKER_NAME: { path: ['worker', 'name'], type: 'string' },
  GANTRY_WORKER_QUEUES: { path: ['worker', 'queues'], type: 'list' },
  GANTRY_WORKER_MAX_TASKS: { path: ['worker', 'maxTasks'], type: 'number' },
  GANTRY_SANDBOX: { path: ['runtime', 'sandbox'], type: 'string' },
  GANTRY_ALLOW_BIND_MOUNTS: { path: ['runtime', 'allowBindMounts'], type: 'boolean' },
  GANTRY_SHUTDOWN_GRACE_MS: { path: ['shutdown', 'graceMs'], type: 'number' },
};

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function convertEnv(name: string, raw: string, type: 'string' | 'number' | 'boolean' | 'list'): unknown {
  switch (type) {
    case 'string':
      return raw;
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) {
        throw new GantryError('invalid_input', `${name}: expected a number, got "${raw}"`);
      }
      return value;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new GantryError('invalid_input', `${name}: expected true or false, got "${raw}"`);
    case 'list':
      return raw.split(',').map((item) => item.trim()).filter(Boolean);
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Source {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw !== undefined) setPath(values, spec.path, convertEnv(name, raw, spec.type));
  }
  return { name: 'environment', values };
}

function fromFile(path: string, required: boolean): Source | undefined {
  if (!existsSync(path)) {
    if (required) throw new GantryError('invalid_input', `config file ${path} does not exist`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new GantryError('invalid_input', `config file ${path}: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return { name: path, values: {} };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GantryError('invalid_input', `config file ${path}: expected a mapping of settings`);
  }
  return { name: path, values: parsed as Record<string, unknown> };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? merge(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Names the source of the first key that failed, so the error says where to fix it. */
function blame(sources: Source[], path: PropertyKey[]): string {
  for (let i = sources.length - 1; i >= 0; i--) {
    let node: unknown = sources[i]!.values;
    for (const key of path) node = isPlainObject(node) ? node[key as string] : undefined;
    if (node !== undefined) return sources[i]!.name;
  }
  return 'defaults';
}

export interface LoadConfigOptions {
  /** Settings from command-line flags (win over everything). */
  flags?: ConfigInput;
  /** Explicit config file; when unset `gantry.yaml` in the working directory is read if present. */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Builds the one frozen GantryConfig from defaults, gantry.yaml, GANTRY_* and flags. */
export function loadConfig(options: LoadConfigOptions = {}): GantryConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicitFile = options.configFile ?? env.GANTRY_CONFIG;
  const file = fromFile(resolve(cwd, explicitFile ?? 'gantry.yaml'), explicitFile !== undefined);
  const sources: Source[] = [
    ...(file ? [file] : []),
    fromEnv(env),
    { name: 'flags', values: (options.flags ?? {}) as Record<string, unknown> },
  ];
  const merged = sources.reduce<Record<string, unknown>>((acc, source) => merge(acc, source.values), {});
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.join('.') || '(root)';
    const message = issue.code === 'unrecognized_keys' ? `unknown setting ${issue.keys.join(', ')}` : issue.message;
    throw new GantryError('invalid_input', `config ${key} (from ${blame(sources, issue.path)}): ${message}`, {
      details: { issues: z.treeifyError(result.error) },
    });
  }
  const config = result.data;
  config.dataDir = resolve(cwd, config.dataDir);
  return deepFreeze(config);
}
