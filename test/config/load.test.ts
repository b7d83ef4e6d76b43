import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

function dirWith(yaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-config-'));
  if (yaml !== undefined) writeFileSync(join(dir, 'gantry.yaml'), yaml);
  return dir;
}

describe('loadConfig', () => {
  it('has working defaults and freezes the result', () => {
    const cwd = dirWith();
    const config = loadConfig({ env: {}, cwd });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 5001, dataDir: join(cwd, '.gantry'), worker: { queues: ['default'] } });
    expect(Object.isFrozen(config.worker)).toBe(true);
  });

  it('layers gantry.yaml, then GANTRY_* environment, then flags', () => {
    const cwd = dirWith('port: 7000\nhost: 0.0.0.0\nworker:\n  maxTasks: 3\n  name: from-file\n');
    const config = loadConfig({
      cwd,
      env: { GANTRY_PORT: '7100', GANTRY_WORKER_QUEUES: 'a, b' },
      flags: { port: 7200 },
    });
    expect(config.port).toBe(7200);
    expect(config.host).toBe('0.0.0.0');
    expect(config.worker).toMatchObject({ maxTasks: 3, name: 'from-file', queues: ['a', 'b'] });
  });

  it('names the key and its source when a value is wrong', () => {
    expect(() => loadConfig({ cwd: dirWith(), env: { GANTRY_PORT: '99999' } })).toThrow(/port \(from environment\)/);
    expect(() => loadConfig({ cwd: dirWith(), env: { GANTRY_PORT: 'abc' } })).toThrow(/GANTRY_PORT: expected a number/);
    expect(() => loadConfig({ cwd: dirWith('prot: 1\n'), env: {} })).toThrow(/unknown setting prot/);
    expect(() => loadConfig({ cwd: dirWith('worker: [1]\n'), env: {} })).toThrow(/worker \(from .*gantry\.yaml\)/);
    expect(() => loadConfig({ cwd: dirWith(), env: {}, configFile: 'missing.yaml' })).toThrow(/does not exist/);
  });
});
