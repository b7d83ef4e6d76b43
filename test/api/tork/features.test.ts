import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../../support/stores.js';
import { request, runJob, startTestServer, waitForJob, type TestServer } from '../../support/server.js';

/** The job's whole log, oldest first. */
async function logText(url: string, jobId: string): Promise<string> {
  const log = await request<Record<string, any>>(`${url}/jobs/${jobId}/log?size=100`);
  return log.body.items
    .map((part: { contents: string }) => part.contents)
    .reverse()
    .join('');
}

const byName = (job: Record<string, any>, name: string): Record<string, any> => {
  const task = job.execution.find((candidate: { name: string }) => candidate.name === name);
  if (!task) throw new Error(`no task ${name} in ${job.execution.map((t: { name: string }) => t.name).join(', ')}`);
  return task;
};

describe.each(STORES)('Tork job features end to end on %s', (kind) => {
  let t: TestServer;
  // A host directory bound into tasks, so that attempts of one task can count themselves.
  let state: string;
  beforeAll(async () => {
    state = mkdtempSync(join(tmpdir(), 'gantry-features-'));
    chmodSync(state, 0o777);
    t = await startTestServer(kind, { runtime: { allowBindMounts: true } });
  });
  afterAll(async () => {
    await t?.destroy();
    rmSync(state, { recursive: true, force: true });
  });

  it('retries a failing task until it succeeds; the finished task keeps no stale error', async () => {
    const job = await runJob(t.url, `
name: flaky until the third try
tasks:
  - name: flaky
    var: out
    retry:
      limit: 3
    mounts:
      - type: bind
        source: ${state}
        target: /state
    run: |
      n=$(cat /state/${kind}-count 2>/dev/null || echo 0)
      n=$((n + 1))
      echo $n > /state/${kind}-count
      echo "attempt $n"
      echo -n "succeeded on attempt $n" > $TORK_OUTPUT
      [ $n -ge 3 ]
`);
    expect(job.state).toBe('COMPLETED');
    const task = byName(job, 'flaky');
    expect(task).toMatchObject({ state: 'COMPLETED', result: 'succeeded on attempt 3', retry: { limit: 3, attempts: 2 } });
    expect(task).not.toHaveProperty('error');
    expect(job.context.tasks.out).toBe('succeeded on attempt 3');
    expect(await logText(t.url, job.id)).toMatch(/attempt 1[\s\S]*attempt 2[\s\S]*attempt 3/);
  });

  it('retries a task killed at its timeout, with the job defaults, and then fails it', async () => {
    const job = await runJob(t.url, `
name: defaults apply
defaults:
  timeout: 1s
  retry:
    limit: 1
tasks:
  - name: too slow
    run: echo started; sleep 30
`);
    expect(job.state).toBe('FAILED');
    expect(byName(job, 'too slow')).toMatchObject({ state: 'FAILED', error: expect.stringMatching(/timed out after 1s/), retry: { limit: 1, attempts: 1 } });
    expect((await logText(t.url, job.id)).match(/started/g)).toHaveLength(2);
  });

  it('skips on a condition that comes out false and runs on one that reads a missing input', async () => {
    const job = await runJob(t.url, `
name: conditions
inputs:
  deploy: "no"
tasks:
  - name: false template
    if: "{{ inputs.deploy == 'yes' }}"
    run: echo should not run
  - name: false text
    if: "false"
    run: echo should not run
  - name: bare expression
    if: "len(inputs.deploy) > 5"
    run: echo should not run
  - name: missing input
    # As in Tork, a missing input reads as "": the text is not "false", so the task runs.
    if: "{{ inputs.nothing }}"
    var: missing
    run: echo -n ran > $TORK_OUTPUT
  - name: empty check
    var: empty
    env:
      IS_EMPTY: "{{ inputs.nothing == '' }}"
      DEFAULTED: "{{ inputs.nothing ?: 'fallback' }}"
    run: echo -n "$IS_EMPTY $DEFAULTED" > $TORK_OUTPUT
  - name: skipped composite
    if: "{{ false }}"
    parallel:
      tasks:
        - name: inside
          run: echo should not run
`);
    expect(job.state).toBe('COMPLETED');
    const states = Object.fromEntries(job.execution.map((task: { name: string; state: string }) => [task.name, task.state]));
    expect(states).toEqual({
      'false template': 'SKIPPED',
      'false text': 'SKIPPED',
      'bare expression': 'SKIPPED',
      'missing input': 'COMPLETED',
      'empty check': 'COMPLETED',
      'skipped composite': 'SKIPPED',
    });
    expect(job.context.tasks).toEqual({ missing: 'ran', empty: 'true fallback' });
    // As in Tork, a skipped task is stamped scheduled, started and completed when it is skipped.
    const skipped = byName(job, 'false text');
    expect(skipped.startedAt).toBe(skipped.completedAt);
    expect(skipped.scheduledAt).toBe(skipped.completedAt);
    expect(await logText(t.url, job.id)).not.toContain('should not run');
  });

  it('runs each items one at a time with concurrency 1, with parallel tasks nested in each item', async () => {
    const job = await runJob(t.url, `
name: each shapes
inputs:
  rows: '[{"name": "a", "size": 5}, {"name": "b", "size": 20}, {"name": "c", "size": 30}]'
tasks:
  - name: serial
    each:
      list: "{{ filter(fromJSON(inputs.rows), .size > 10) }}"
      var: row
      concurrency: 1
      task:
        name: "serial {{ row.index }}"
        var: "serial{{ row.index }}"
        env:
          NAME: "{{ upper(row.value.name) }}"
          DOUBLE: "{{ row.value.size * 2 }}"
        run: sleep 0.3; echo -n "$NAME=$DOUBLE" > $TORK_OUTPUT
  - name: fan
    each:
      list: "{{ [1, 2] }}"
      task:
        name: "pair {{ item.index }}"
        parallel:
          tasks:
            - name: "left {{ item.index }}"
              var: "left{{ item.index }}"
              env:
                V: "{{ item.value * 10 }}"
              run: echo -n "L$V" > $TORK_OUTPUT
            - name: "right {{ item.index }}"
              var: "right{{ item.index }}"
              env:
                V: "{{ item.value * 100 }}"
              run: echo -n "R$V" > $TORK_OUTPUT
`);
    expect(job.state).toBe('COMPLETED');
    expect(job.context.tasks).toEqual({ serial0: 'B=40', serial1: 'C=60', left0: 'L10', right0: 'R100', left1: 'L20', right1: 'R200' });
    expect(byName(job, 'serial').each).toMatchObject({ var: 'row', size: 2, completions: 2, concurrency: 1 });
    const first = byName(job, 'serial 0');
    const second = byName(job, 'serial 1');
    // With concurrency 1 the second item starts only once the first is done.
    expect(Date.parse(second.startedAt)).toBeGreaterThanOrEqual(Date.parse(first.completedAt));
    expect(byName(job, 'pair 1').parallel.completions).toBe(2);
  });

  it('fails the each task, its job and the waiting items when one item fails', async () => {
    const job = await runJob(t.url, `
name: failing item
tasks:
  - name: items
    each:
      list: "{{ sequence(0, 4) }}"
      concurrency: 1
      task:
        name: "item {{ item.value }}"
        env:
          V: "{{ item.value }}"
        run: test $V -ne 1
  - name: after
    run: echo never
`);
    expect(job.state).toBe('FAILED');
    expect(job.error).toBe('exit code 1');
    expect(byName(job, 'items')).toMatchObject({ state: 'FAILED', each: { size: 4, completions: 1 } });
    expect(['item 0', 'item 1', 'item 2', 'item 3'].map((name) => byName(job, name).state)).toEqual(['COMPLETED', 'FAILED', 'CANCELLED', 'CANCELLED']);
    expect(job.execution.some((task: { name: string }) => task.name === 'after')).toBe(false);
  });

  it('fails a subjob task with the child’s error, and runs a detached subjob on its own', async () => {
    const failing = await runJob(t.url, `
name: parent of a failure
tasks:
  - name: child
    subjob:
      name: failing child
      tasks:
        - name: ok
          run: "true"
        - name: boom
          run: exit 9
`);
    expect(failing.state).toBe('FAILED');
    expect(byName(failing, 'child')).toMatchObject({ state: 'FAILED', error: 'exit code 9' });
    const child = await request<Record<string, any>>(`${t.url}/jobs/${byName(failing, 'child').subjob.id}`);
    expect(child.body).toMatchObject({ state: 'FAILED', error: 'exit code 9', position: 2 });

    const detached = await runJob(t.url, `
name: parent of a detached child
tasks:
  - name: fire and forget
    subjob:
      name: detached child
      detached: true
      output: "{{ tasks.slow }}"
      tasks:
        - name: slow
          var: slow
          run: sleep 1; echo -n late > $TORK_OUTPUT
  - name: next
    run: "true"
`);
    // The parent does not wait for a detached child.
    expect(detached.state).toBe('COMPLETED');
    const childId = byName(detached, 'fire and forget').subjob.id;
    const done = await waitForJob(t.url, childId);
    expect(done).toMatchObject({ name: 'detached child', state: 'COMPLETED', result: 'late' });
    // Detached: no parent task to report back to, so none is named (as in Tork).
    expect(done.parentId).toBeUndefined();
  });

  it('masks a parent secret passed down to a subjob, in the child’s answers and logs', async () => {
    const job = await runJob(t.url, `
name: secret parent
secrets:
  token: parent-secret-value
tasks:
  - name: child
    var: fromChild
    subjob:
      name: child of {{ secrets.token }}
      inputs:
        passed: "{{ secrets.token }}"
      output: "{{ inputs.passed }}"
      tasks:
        - name: uses it
          env:
            PASSED: "{{ inputs.passed }}"
          run: echo "child sees $PASSED"
`);
    expect(job.state).toBe('COMPLETED');
    const childId = byName(job, 'child').subjob.id;
    const child = await request(`${t.url}/jobs/${childId}`);
    const childLog = await logText(t.url, childId);
    for (const text of [JSON.stringify(job), JSON.stringify(child.body), childLog, JSON.stringify((await request(`${t.url}/jobs?size=20`)).body)]) {
      expect(text).not.toContain('parent-secret-value');
    }
    expect(childLog).toContain('child sees [REDACTED]');
    expect(child.body).toMatchObject({ name: 'child of [REDACTED]', inputs: { passed: '[REDACTED]' }, result: '[REDACTED]' });
  });

  it('evaluates expr-lang functions and predicates over inputs, task outputs and items', async () => {
    const job = await runJob(t.url, `
name: functions
inputs:
  csv: "b,a,c,a"
output: "{{ toJSON(fromJSON(tasks.numbers) | map(# * 2)) }}"
tasks:
  - name: numbers
    var: numbers
    run: echo -n '[3, 1, 2]' > $TORK_OUTPUT
  - name: computed
    var: computed
    env:
      SORTED: "{{ join(sort(uniq(split(inputs.csv, ','))), '-') }}"
      TOTAL: "{{ sum(fromJSON(tasks.numbers)) }}"
      BIG: "{{ count(fromJSON(tasks.numbers), # > 1) }}"
      FIRST: "{{ let n = fromJSON(tasks.numbers); first(sortBy(n, #)) }}"
      TYPE: "{{ type(fromJSON(tasks.numbers)[0]) }}"
      B64: "{{ toBase64(inputs.csv) }}"
    run: echo -n "$SORTED $TOTAL $BIG $FIRST $TYPE $B64" > $TORK_OUTPUT
  - name: each over a pipe
    each:
      list: "{{ 1..6 | filter(# % 2 == 0) }}"
      task:
        name: "even {{ item.value }}"
        var: "even{{ item.index }}"
        run: "true"
`);
    expect(job.state).toBe('COMPLETED');
    expect(job.context.tasks.computed).toBe(`a-b-c 6 2 1 int ${Buffer.from('b,a,c,a').toString('base64')}`);
    expect(job.execution.filter((task: { name: string }) => task.name.startsWith('even ')).map((task: { name: string }) => task.name)).toEqual(['even 2', 'even 4', 'even 6']);
    expect(job.result).toBe('[\n  6,\n  2,\n  4\n]');
  });

  it('fails the task, naming the expression, when it cannot be evaluated at run time', async () => {
    const job = await runJob(t.url, `
name: run-time error
inputs:
  notJson: "abc"
tasks:
  - name: fine
    run: "true"
  - name: broken
    env:
      V: "{{ fromJSON(inputs.notJson).x }}"
    run: echo never
`);
    expect(job.state).toBe('FAILED');
    expect(byName(job, 'fine').state).toBe('COMPLETED');
    expect(byName(job, 'broken')).toMatchObject({ state: 'FAILED', error: expect.stringMatching(/^expression "fromJSON\(inputs\.notJson\)\.x": fromJSON: /) });
    expect(job.error).toBe(byName(job, 'broken').error);
  });

  it('fails a task whose template yields a NUL character, which no store can keep, with a clear error', async () => {
    // PostgreSQL refuses U+0000 in text: the value must fail the task, not the statement that stores it.
    const job = await runJob(t.url, `
name: NUL from an expression
tasks:
  - name: first
    run: "true"
  - name: "x{{ fromBase64('AA==') }}"
    run: "true"
`);
    expect(job.state).toBe('FAILED');
    expect(job.error).toMatch(/its value holds a NUL character/);
    expect(job.execution.map((task: { state: string }) => task.state)).toEqual(['COMPLETED', 'FAILED']);
  });

  it('keeps the log and output of a task that prints NUL characters, without them', async () => {
    // PostgreSQL text cannot hold U+0000; Tork drops it, and so does Gantry, instead of failing the report.
    const job = await runJob(t.url, `
name: NUL in output
tasks:
  - name: noisy
    var: out
    run: |
      printf 'be\\000fore\\n'
      printf 'res\\000ult' > $TORK_OUTPUT
  - name: after
    env:
      OUT: "{{ tasks.out }}"
    run: echo "$OUT"
`);
    expect(job.state).toBe('COMPLETED');
    expect(byName(job, 'noisy').result).toBe('result');
    expect(await logText(t.url, job.id)).toBe('before\nresult\n');
  });
});
