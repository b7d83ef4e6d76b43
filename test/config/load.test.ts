import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSource, loadConfig, type LoadConfigOptions } from '../../src/config/load.js';

function dirWith(yaml?: string, name = 'gantry.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-config-'));
  if (yaml !== undefined) writeFileSync(join(dir, name), yaml);
  return dir;
}

/** The message loadConfig throws, for tables of bad input. */
function failure(options: LoadConfigOptions): string {
  try {
    loadConfig({ env: {}, cwd: dirWith(), ...options });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('has working defaults and freezes the result, nested parts too', () => {
    const cwd = dirWith();
    const config = loadConfig({ env: {}, cwd });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 5001, dataDir: join(cwd, '.gantry'), server: 'http://127.0.0.1:5001', worker: { queues: ['default'] } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.worker)).toBe(true);
    expect(Object.isFrozen(config.worker.queues)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('layers gantry.yaml, then GANTRY_* environment, then command-line flags, then settings from code', () => {
    const cwd = dirWith('port: 7000\nhost: 0.0.0.0\ndataDir: from-file\nworker:\n  maxTasks: 3\n  name: from-file\n');
    const config = loadConfig({
      cwd,
      env: { GANTRY_PORT: '7100', GANTRY_WORKER_QUEUES: 'a, b', GANTRY_DATA: 'from-env', GANTRY_WORKER_NAME: 'from-env' },
      commandLine: { port: '7200', data: 'from-flag' },
      flags: { port: 7300 },
    });
    expect(config.port).toBe(7300);
    expect(config.host).toBe('0.0.0.0');
    expect(config.dataDir).toBe(join(cwd, 'from-flag'));
    expect(config.worker).toMatchObject({ maxTasks: 3, name: 'from-env', queues: ['a', 'b'] });
    expect(configSource(config, 'host')).toBe('gantry.yaml line 2');
    expect(configSource(config, 'worker.maxTasks')).toBe('gantry.yaml line 5');
    expect(configSource(config, 'worker.name')).toBe('GANTRY_WORKER_NAME');
    expect(configSource(config, 'dataDir')).toBe('--data');
    expect(configSource(config, 'port')).toBe('flags');
    expect(configSource(config, 'logLevel')).toBe('default');
  });

  it('reads the file named by --config over GANTRY_CONFIG over ./gantry.yaml', () => {
    const cwd = dirWith('port: 7000\n');
    writeFileSync(join(cwd, 'env.yaml'), 'port: 7001\n');
    writeFileSync(join(cwd, 'flag.yaml'), 'port: 7002\n');
    expect(loadConfig({ cwd, env: {} }).port).toBe(7000);
    expect(loadConfig({ cwd, env: { GANTRY_CONFIG: 'env.yaml' } }).port).toBe(7001);
    const named = loadConfig({ cwd, env: { GANTRY_CONFIG: 'env.yaml' }, configFile: 'flag.yaml' });
    expect(named.port).toBe(7002);
    expect(configSource(named, 'port')).toBe('flag.yaml line 1');
  });

  it('treats an empty GANTRY_* variable as unset', () => {
    const config = loadConfig({ cwd: dirWith('port: 7000\n'), env: { GANTRY_PORT: '', GANTRY_DATABASE_URL: '', GANTRY_CONFIG: '' } });
    expect(config.port).toBe(7000);
    expect(config.database).toBeUndefined();
  });

  it('points clients at the server these settings would start unless server is set', () => {
    expect(loadConfig({ cwd: dirWith(), env: { GANTRY_PORT: '8123' } }).server).toBe('http://127.0.0.1:8123');
    expect(loadConfig({ cwd: dirWith('host: 0.0.0.0\nport: 8124\n'), env: {} }).server).toBe('http://127.0.0.1:8124');
    expect(loadConfig({ cwd: dirWith('host: "::1"\nport: 8125\n'), env: {} }).server).toBe('http://[::1]:8125');
    expect(loadConfig({ cwd: dirWith(), env: { GANTRY_PORT: '0' } }).server).toBe('http://127.0.0.1:5001');
    expect(loadConfig({ cwd: dirWith('port: 8126\n'), env: { GANTRY_SERVER: 'https://gantry.example' } }).server).toBe('https://gantry.example');
  });

  it('names the key and the one source to fix when a value is wrong', () => {
    const cases: Array<[LoadConfigOptions, string]> = [
      [{ env: { GANTRY_PORT: '99999' } }, 'config port (from GANTRY_PORT): Too big: expected number to be <=65535'],
      [{ env: { GANTRY_PORT: 'abc' } }, 'config port (from GANTRY_PORT): expected a number, got "abc"'],
      [{ env: { GANTRY_ALLOW_BIND_MOUNTS: 'sure' } }, 'config runtime.allowBindMounts (from GANTRY_ALLOW_BIND_MOUNTS): expected true or false, got "sure"'],
      [{ env: { GANTRY_SANDBOX: 'docker' } }, 'config runtime.sandbox (from GANTRY_SANDBOX): Invalid option: expected one of "auto"|"bwrap"|"unshare"'],
      [{ commandLine: { port: '12x' } }, 'config port (from --port): expected a number, got "12x"'],
      [{ commandLine: { port: '1.5' } }, 'config port (from --port): Invalid input: expected int, received number'],
      [{ commandLine: { server: 'localhost:5001' } }, 'config server (from --server): expected an http:// or https:// URL, e.g. http://127.0.0.1:5001'],
      [{ commandLine: { database: 'mysql://x' } }, 'config database (from --database): expected postgres://…, postgresql://… or sqlite:<file>'],
      [{ commandLine: { data: '' } }, 'config dataDir (from --data): must not be empty'],
      // The flag wins, so the flag is what to fix, even though the file set it too.
      [{ cwd: dirWith('port: 7000\n'), commandLine: { port: '-1' } }, 'config port (from --port): Too small: expected number to be >=0'],
      [{ cwd: dirWith('# Gantry\nhost: 127.0.0.1\nport: 70000\n') }, 'config port (from gantry.yaml line 3): Too big: expected number to be <=65535'],
      [{ cwd: dirWith('port: "5001"\n') }, 'config port (from gantry.yaml line 1): Invalid input: expected number, received string'],
      [{ cwd: dirWith('worker:\n  queues:\n    - default\n    - ""\n') }, 'config worker.queues.1 (from gantry.yaml line 4): Too small: expected string to have >=1 characters'],
    ];
    for (const [options, message] of cases) expect(failure(options)).toBe(message);
  });

  it('refuses unknown settings at any depth, at the line of the key', () => {
    expect(failure({ cwd: dirWith('prot: 1\n') })).toBe('config prot (from gantry.yaml line 1): unknown setting');
    expect(failure({ cwd: dirWith('port: 5001\nworker:\n  maxTask: 3\n') })).toBe('config worker.maxTask (from gantry.yaml line 3): unknown setting');
    expect(failure({ cwd: dirWith('runtime:\n  sandBox: bwrap\n') })).toBe('config runtime.sandBox (from gantry.yaml line 2): unknown setting');
    expect(failure({ flags: { api: { bodyLimit: 1 } } as never })).toBe('config api.bodyLimit (from flags): unknown setting');
  });

  it('reports files that are missing, unreadable or not YAML, with the line', () => {
    expect(failure({ configFile: 'missing.yaml' })).toBe('config file missing.yaml (from --config) does not exist');
    expect(failure({ env: { GANTRY_CONFIG: 'missing.yaml' } })).toBe('config file missing.yaml (from GANTRY_CONFIG) does not exist');
    expect(failure({ cwd: dirWith('port: 5001\nworker: [1\n') })).toMatch(/^config file gantry\.yaml line 3: .*\]/);
    expect(failure({ cwd: dirWith('port: 1\nport: 2\n') })).toMatch(/^config file gantry\.yaml line 2: .*[Uu]nique/);
    expect(failure({ cwd: dirWith('- port: 1\n') })).toBe('config file gantry.yaml: expected a mapping of settings (key: value lines)');
    expect(failure({ cwd: dirWith('worker: [1]\n') })).toBe('config worker (from gantry.yaml line 1): Invalid input: expected object, received array');
    const cwd = dirWith();
    expect(failure({ cwd, configFile: cwd })).toMatch(/^config file .* \(from --config\) cannot be read: it is a directory$/);
  });

  it('reads an empty file as no settings', () => {
    expect(loadConfig({ cwd: dirWith('# nothing yet\n'), env: {} }).port).toBe(5001);
  });
});
