import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { GantryError } from '../core/errors.js';
import { configSchema, type ConfigInput, type GantryConfig } from './schema.js';
import { configError, envSources, fileSource, flagSources, type CommandLineFlags, type Source } from './sources.js';

export type { CommandLineFlags } from './sources.js';

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

/** The source that set `path` last (the one that won), or `default` when none did. */
function blame(sources: readonly Source[], path: readonly PropertyKey[]): string {
  for (let i = sources.length - 1; i >= 0; i--) {
    const source = sources[i]!;
    let node: unknown = source.values;
    // Lists too: `worker.queues.1` is the second queue.
    for (const key of path) node = typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (node !== undefined) return source.locate?.(path) ?? source.name;
  }
  return 'default';
}

/** Which source each loaded config's settings came from, for errors found after loading (a data directory that cannot be created). */
const origins = new WeakMap<GantryConfig, readonly Source[]>();

/**
 * Where a setting of a config built by `loadConfig` came from, as errors name it:
 * `--data`, `GANTRY_DATA`, `gantry.yaml line 3`, or `default`.
 */
export function configSource(config: GantryConfig, path: string): string {
  return blame(origins.get(config) ?? [], path.split('.'));
}

/** A client talks to the server this configuration would start, unless `server` says otherwise. */
function defaultServer(host: string, port: number, tls: boolean): string {
  // A wildcard address is where the server listens, not where to reach it.
  const reachable = host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host;
  const bracketed = reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable;
  // Port 0 picks a free port at start: nothing to derive from, so the documented default.
  return `${tls ? 'https' : 'http'}://${bracketed}:${port === 0 ? 5001 : port}`;
}

export interface LoadConfigOptions {
  /** Settings given by code (tests, benchmarks); they win over everything. Named `flags` in errors. */
  flags?: ConfigInput;
  /** Command-line flags as the CLI parsed them; each is converted and named (`--port`) like an environment variable. */
  commandLine?: CommandLineFlags;
  /** Config file named by `--config`; else `GANTRY_CONFIG`; else `gantry.yaml` in the working directory when present. */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Builds the one frozen GantryConfig from, later winning: defaults, the config
 * file, GANTRY_* environment, command-line flags, then `flags` from code. Errors
 * name the key and the one source to fix: `config port (from GANTRY_PORT): …`.
 */
export function loadConfig(options: LoadConfigOptions = {}): GantryConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = env.GANTRY_CONFIG === '' ? undefined : env.GANTRY_CONFIG;
  const [fileName, fileOrigin] =
    options.configFile !== undefined ? [options.configFile, '--config'] : fromEnv !== undefined ? [fromEnv, 'GANTRY_CONFIG'] : ['gantry.yaml', undefined];
  const file = fileSource(resolve(cwd, fileName), fileName, fileOrigin);
  const sources: Source[] = [
    ...(file ? [file] : []),
    ...envSources(env),
    ...flagSources(options.commandLine ?? {}),
    { name: 'flags', values: (options.flags ?? {}) as Record<string, unknown> },
  ];
  const merged = sources.reduce<Record<string, unknown>>((acc, source) => merge(acc, source.values), {});
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    // An unknown key is reported at the key itself, so the file's line is the key's line.
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    const message = issue.code === 'unrecognized_keys' ? 'unknown setting' : issue.message;
    const error = configError(path.map(String).join('.') || '(root)', blame(sources, path), message);
    throw new GantryError('invalid_input', error.message, { details: { issues: z.treeifyError(result.error) } });
  }
  const parsed = result.data;
  const config: GantryConfig = {
    ...parsed,
    dataDir: isAbsolute(parsed.dataDir) ? parsed.dataDir : resolve(cwd, parsed.dataDir),
    runtime: { ...parsed.runtime, workRoot: parsed.runtime.workRoot === undefined ? undefined : resolve(cwd, parsed.runtime.workRoot) },
    server: parsed.server ?? defaultServer(parsed.host, parsed.port, parsed.tls !== undefined),
    toolSearchPath: env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
  };
  origins.set(config, sources);
  return deepFreeze(config);
}
