import { existsSync, readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { GantryError } from '../core/errors.js';

/**
 * One place settings came from. Each environment variable and each flag is a
 * source of its own, so an error can name exactly the one to fix.
 */
export interface Source {
  /** As error messages name it: `--port`, `GANTRY_PORT`, `gantry.yaml`, `flags`. */
  name: string;
  values: Record<string, unknown>;
  /** Where one key sits inside the source (`gantry.yaml line 3`); the name when unset. */
  locate?(path: readonly PropertyKey[]): string;
}

type ValueType = 'string' | 'number' | 'boolean' | 'list';

/** `config port (from GANTRY_PORT): expected a number, got "abc"`: the one shape of every configuration error. */
export function configError(key: string, from: string, message: string): GantryError {
  return new GantryError('invalid_input', `config ${key} (from ${from}): ${message}`);
}

/** Environment variable → config key path. One table, so the mapping is easy to audit (docs/configuration.md lists it). */
export const ENV_KEYS: Readonly<Record<string, { path: string[]; type: ValueType }>> = {
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
  GANTRY_WORKER_LOCATION: { path: ['worker', 'location'], type: 'string' },
  GANTRY_MQ: { path: ['ewms', 'mq'], type: 'string' },
  GANTRY_SANDBOX: { path: ['runtime', 'sandbox'], type: 'string' },
  GANTRY_ALLOW_BIND_MOUNTS: { path: ['runtime', 'allowBindMounts'], type: 'boolean' },
  GANTRY_SHUTDOWN_GRACE_MS: { path: ['shutdown', 'graceMs'], type: 'number' },
  GANTRY_EXEC_ENABLED: { path: ['exec', 'enabled'], type: 'boolean' },
  GANTRY_APPS_POLICY: { path: ['apps', 'policy'], type: 'string' },
  GANTRY_EXEC_PYTHON: { path: ['exec', 'python'], type: 'string' },
  GANTRY_EXEC_NODE: { path: ['exec', 'node'], type: 'string' },
  GANTRY_ADMIN_PASSWORD: { path: ['auth', 'adminPassword'], type: 'string' },
  GANTRY_ANONYMOUS_TORK: { path: ['auth', 'anonymous', 'tork'], type: 'string' },
  GANTRY_TOKEN: { path: ['client', 'token'], type: 'string' },
  GANTRY_USER: { path: ['client', 'user'], type: 'string' },
  GANTRY_PASSWORD: { path: ['client', 'password'], type: 'string' },
  GANTRY_API_ALLOWED_IPS: { path: ['auth', 'apiAllowedIps'], type: 'list' },
  GANTRY_TLS_CERT_FILE: { path: ['tls', 'certFile'], type: 'string' },
  GANTRY_TLS_KEY_FILE: { path: ['tls', 'keyFile'], type: 'string' },
  // The names ClusterCockpit and Zeroboot installations already set.
  JWT_PUBLIC_KEY: { path: ['auth', 'jwt', 'publicKey'], type: 'string' },
  JWT_PRIVATE_KEY: { path: ['auth', 'jwt', 'privateKey'], type: 'string' },
  ZEROBOOT_API_KEYS_FILE: { path: ['auth', 'apiKeysFile'], type: 'string' },
};

/** Command-line flags as the CLI parsed them: raw text, converted and checked here like the environment. */
export interface CommandLineFlags {
  host?: string;
  port?: string;
  data?: string;
  database?: string;
  server?: string;
  token?: string;
  user?: string;
  /** `false` for `--no-worker`; leave unset otherwise (there is no flag that turns the worker on). */
  worker?: boolean;
  /** The AMQP broker of the workflows' message queues. */
  mq?: string;
}

const FLAG_KEYS: Readonly<Record<keyof CommandLineFlags, { flag: string; path: string[]; type: ValueType }>> = {
  host: { flag: '--host', path: ['host'], type: 'string' },
  port: { flag: '--port', path: ['port'], type: 'number' },
  data: { flag: '--data', path: ['dataDir'], type: 'string' },
  database: { flag: '--database', path: ['database'], type: 'string' },
  server: { flag: '--server', path: ['server'], type: 'string' },
  token: { flag: '--token', path: ['client', 'token'], type: 'string' },
  user: { flag: '--user', path: ['client', 'user'], type: 'string' },
  worker: { flag: '--no-worker', path: ['worker', 'enabled'], type: 'boolean' },
  mq: { flag: '--mq', path: ['ewms', 'mq'], type: 'string' },
};

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function convert(raw: string, type: ValueType, key: string, from: string): unknown {
  switch (type) {
    case 'string':
      return raw;
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw configError(key, from, `expected a number, got "${raw}"`);
      return value;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw configError(key, from, `expected true or false, got "${raw}"`);
    case 'list':
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
  }
}

/**
 * One source per GANTRY_* variable that is set. An empty variable counts as
 * unset, as shells make it easy to export one empty (`GANTRY_DATABASE_URL= gantry serve`).
 */
export function envSources(env: NodeJS.ProcessEnv): Source[] {
  const sources: Source[] = [];
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const values: Record<string, unknown> = {};
    setPath(values, spec.path, convert(raw, spec.type, spec.path.join('.'), name));
    sources.push({ name, values });
  }
  return sources;
}

/** One source per flag given. Unlike the environment, an empty flag value (`--host ""`) is checked, not dropped. */
export function flagSources(flags: CommandLineFlags): Source[] {
  const sources: Source[] = [];
  for (const [key, spec] of Object.entries(FLAG_KEYS) as Array<[keyof CommandLineFlags, (typeof FLAG_KEYS)[keyof CommandLineFlags]]>) {
    const raw = flags[key];
    if (raw === undefined) continue;
    const values: Record<string, unknown> = {};
    setPath(values, spec.path, typeof raw === 'boolean' ? raw : convert(raw, spec.type, spec.path.join('.'), spec.flag));
    sources.push({ name: spec.flag, values });
  }
  return sources;
}

type Ranged = { range?: [number, number, number] | null } | null;
const startOf = (node: unknown): number | undefined => (node as Ranged)?.range?.[0];

/**
 * Where `path` is in the file: the offset of its key (a value sits on its key's
 * line; a nested block under it reads best from the key too), or of the list item.
 * Stops at the deepest part that exists: an unknown key is found, a default is not.
 */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = startOf(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(segment)];
      if (item === undefined) break;
      offset = startOf(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/**
 * Reads a configuration file. `label` is how messages name it (the path as the
 * user wrote it, or `gantry.yaml`); `origin` says who named it (`--config`,
 * `GANTRY_CONFIG`), or is unset for the optional default file.
 */
export function fileSource(path: string, label: string, origin: string | undefined): Source | undefined {
  const named = origin === undefined ? label : `${label} (from ${origin})`;
  if (!existsSync(path)) {
    if (origin !== undefined) throw new GantryError('invalid_input', `config file ${named} does not exist`);
    return undefined;
  }
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new Error('it is a directory');
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new GantryError('invalid_input', `config file ${named} cannot be read: ${(error as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (offset: number | undefined): string => (offset === undefined ? label : `${label} line ${lines.linePos(offset).line}`);
  const syntax = doc.errors[0];
  if (syntax) {
    // The parser's message may carry a code frame on further lines; the first line says it.
    const reason = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new GantryError('invalid_input', `config file ${lineOf(syntax.pos[0])}: ${reason}`);
  }
  const parsed: unknown = doc.toJS();
  if (parsed === null || parsed === undefined) return { name: label, values: {} };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GantryError('invalid_input', `config file ${label}: expected a mapping of settings (key: value lines)`);
  }
  return { name: label, values: parsed as Record<string, unknown>, locate: (keyPath) => lineOf(offsetOf(doc, keyPath)) };
}
