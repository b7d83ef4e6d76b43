import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYamlText } from 'yaml';
import { parseJobSubmission } from '../../../../src/api/tork/input/index.js';
import { readSpec, SPECS_DIR, specsAvailable } from '../../../support/specs.js';
import { invalid } from './helpers.js';

/*
 * Tork's own example jobs (runabol/tork examples/*.yaml), read from the shared specs
 * beside the repository, never copied into it. Without them these cases are
 * skipped (test/support/specs.ts prints a notice).
 *
 * Most examples hold {{ … }} expressions, so they pass only with the expression
 * evaluator of src/core/expr in place.
 */

const EXAMPLES_DIR = 'tork-examples';

/**
 * job_defaults.yaml sets `defaults.limits.cpu`, a field Tork does not have (it is
 * `cpus`). Tork decodes YAML with KnownFields(true), so Tork itself refuses this
 * example; Gantry does the same, with a hint.
 */
const REFUSED_BY_TORK: Readonly<Record<string, string>> = {
  'job_defaults.yaml': 'defaults.limits: unknown field "cpu" (did you mean "cpus"?) (line 5, column 5)',
};

const examples = specsAvailable
  ? readdirSync(join(SPECS_DIR, EXAMPLES_DIR))
      .filter((file) => file.endsWith('.yaml'))
      .sort()
  : [];
const accepted = examples.filter((file) => !(file in REFUSED_BY_TORK));
const refused = examples.filter((file) => file in REFUSED_BY_TORK);

const read = (file: string): string => readSpec(`${EXAMPLES_DIR}/${file}`);

describe.skipIf(!specsAvailable)(`Tork examples (${join(SPECS_DIR, EXAMPLES_DIR)})`, () => {
  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThan(10);
  });

  it.each(accepted)('accepts %s as YAML', (file) => {
    const { job, wait } = parseJobSubmission(read(file), 'text/yaml');
    const source = parseYamlText(read(file)) as { name: string; tasks: unknown[] };
    expect(job.name).toBe(source.name);
    expect(job.tasks).toHaveLength(source.tasks.length);
    expect(wait).toBeUndefined();
  });

  it.each(accepted)('accepts %s as JSON, with the same result', (file) => {
    const fromYaml = parseJobSubmission(Buffer.from(read(file)), 'application/x-yaml');
    const json = JSON.stringify(parseYamlText(read(file)), null, 2);
    expect(parseJobSubmission(json, 'application/json')).toEqual(fromYaml);
  });

  it.each(refused)('refuses %s as Tork does', (file) => {
    expect(invalid(() => parseJobSubmission(read(file), 'text/yaml')).message).toBe(REFUSED_BY_TORK[file]);
  });

  it('keeps the fields of an example as written', () => {
    const { job } = parseJobSubmission(read('retry.yaml'), 'text/yaml');
    expect(job.tasks[0]).toMatchObject({ image: 'ubuntu:mantic', entrypoint: ['bash', '-c'], retry: { limit: 2 } });
    expect(job.tasks[0]?.run).toContain('COINFLIP');
  });
});
