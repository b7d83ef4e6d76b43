import { describe, expect, it } from 'vitest';
import { parseJobSubmission } from '../../../../src/api/tork/input/index.js';
import { invalid } from './helpers.js';

/** A JSON job whose single top-level task nests `levels` parallel tasks inside one another. */
function nestedJob(levels: number): string {
  let task: Record<string, unknown> = { name: 'leaf', run: 'true' };
  for (let level = 0; level < levels; level += 1) task = { name: `level ${level}`, parallel: { tasks: [task] } };
  return JSON.stringify({ name: 'deep', tasks: [task] });
}

describe('caps on a submission', () => {
  it('accepts 16 levels of nesting', () => {
    expect(parseJobSubmission(nestedJob(16), 'application/json').job.name).toBe('deep');
  });

  it('refuses 17 levels of nesting, pointing at the first task too deep', () => {
    const { message } = invalid(() => parseJobSubmission(nestedJob(17), 'application/json'));
    expect(message).toContain('tasks are nested more than 16 levels deep');
    expect(message).toMatch(/^tasks\[0\](\.parallel\.tasks\[0\]){17}: /);
  });

  it('refuses documents nested deeper than the parser allows, before building anything', () => {
    const { message } = invalid(() => parseJobSubmission(nestedJob(200), 'application/json'));
    expect(message).toContain('the document is nested more than 128 levels deep');
    const list = (depth: number) => `name: x\ntasks: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    expect(invalid(() => parseJobSubmission(list(200), 'text/yaml')).message).toBe('line 2, column 136: the document is nested more than 128 levels deep');
    // Deeper still, the YAML library gives up first; the message says the same.
    expect(invalid(() => parseJobSubmission(list(5000), 'text/yaml')).message).toContain('the document is nested too deeply');
  });

  it('accepts 1000 tasks and refuses 1001', () => {
    const job = (count: number) =>
      JSON.stringify({ name: 'wide', tasks: Array.from({ length: count }, (_, index) => ({ name: `t${index}` })) });
    expect(parseJobSubmission(job(1000), 'application/json').job.tasks).toHaveLength(1000);
    expect(invalid(() => parseJobSubmission(job(1001), 'application/json')).message).toContain(
      'tasks[1000]: the job has more than 1000 tasks (counting the ones inside parallel, each and subjob)',
    );
  });

  it('counts nested tasks towards the total', () => {
    const parallel = { name: 'p', parallel: { tasks: Array.from({ length: 600 }, (_, index) => ({ name: `n${index}` })) } };
    const body = JSON.stringify({ name: 'x', tasks: [parallel, parallel] });
    expect(invalid(() => parseJobSubmission(body, 'application/json')).message).toContain('more than 1000 tasks');
  });

  it('stops YAML alias bombs', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [from, to] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']]) {
      levels.push(`${to}: &${to} [${Array.from({ length: 10 }, () => `*${from}`).join(', ')}]`);
    }
    const started = Date.now();
    const { message } = invalid(() => parseJobSubmission(`${levels.join('\n')}\n`, 'text/yaml'));
    expect(message).toContain('the document has more than 100000 values (after expanding aliases)');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
