import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../../support/stores.js';
import { request, runJob, startTestServer, type TestServer } from '../../support/server.js';
import { readSpec, specsAvailable } from '../../support/specs.js';

describe.each(STORES)('Tork composite tasks on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('runs parallel tasks and continues when all are done', async () => {
    const job = await runJob(t.url, `
name: parallel job
tasks:
  - name: first
    run: echo start
  - name: fan out
    parallel:
      tasks:
        - name: a
          run: sleep 0.2; echo a
        - name: b
          run: echo b
        - name: c
          var: cvar
          run: echo -n C > $TORK_OUTPUT
  - name: last
    var: last
    env:
      C: "{{ tasks.cvar }}"
    run: echo -n "after $C" > $TORK_OUTPUT
`);
    expect(job.state).toBe('COMPLETED');
    const states = job.execution.map((task: { name: string; state: string }) => `${task.name}:${task.state}`);
    expect(states).toEqual(expect.arrayContaining(['first:COMPLETED', 'fan out:COMPLETED', 'a:COMPLETED', 'b:COMPLETED', 'c:COMPLETED', 'last:COMPLETED']));
    const parent = job.execution.find((task: { name: string }) => task.name === 'fan out');
    expect(parent.parallel.completions).toBe(3);
    expect(job.context.tasks.last).toBe('after C');
  });

  it('runs each over a list with item.index and item.value, honouring concurrency', async () => {
    const job = await runJob(t.url, `
name: each job
tasks:
  - name: items
    each:
      list: "{{ sequence(1, 5) }}"
      concurrency: 2
      task:
        name: item {{ item.index }}
        var: out{{ item.index }}
        env:
          VALUE: "{{ item.value }}"
        run: echo -n $VALUE > $TORK_OUTPUT
`);
    expect(job.state).toBe('COMPLETED');
    const parent = job.execution.find((task: { name: string }) => task.name === 'items');
    expect(parent.each).toMatchObject({ size: 4, completions: 4, concurrency: 2 });
    expect(job.context.tasks).toEqual({ out0: '1', out1: '2', out2: '3', out3: '4' });
  });

  it('runs a subjob and passes its output up', async () => {
    const job = await runJob(t.url, `
name: parent
tasks:
  - name: child
    var: childOut
    subjob:
      name: the child
      output: "{{ tasks.inner }}"
      tasks:
        - name: inner
          var: inner
          run: echo -n from-child > $TORK_OUTPUT
  - name: use it
    var: final
    env:
      CHILD: "{{ tasks.childOut }}"
    run: echo -n "got $CHILD" > $TORK_OUTPUT
`);
    expect(job.state).toBe('COMPLETED');
    expect(job.context.tasks.final).toBe('got from-child');
    const subjobTask = job.execution.find((task: { name: string }) => task.name === 'child');
    const child = await request<Record<string, any>>(`${t.url}/jobs/${subjobTask.subjob.id}`);
    // As in Tork, a subjob's parent is the task that opened it.
    expect(child.body).toMatchObject({ name: 'the child', state: 'COMPLETED', parentId: subjobTask.id, result: 'from-child' });
  });

  it('fails the parent when a subjob fails', async () => {
    const job = await runJob(t.url, `
name: parent of failure
tasks:
  - name: child
    subjob:
      name: failing child
      tasks:
        - name: boom
          run: exit 7
`);
    expect(job.state).toBe('FAILED');
  });

  it('runs pre and post tasks in the same work area with a shared volume', async () => {
    const job = await runJob(t.url, `
name: pre and post
tasks:
  - name: main
    var: out
    run: cat /xyz/pre > $TORK_OUTPUT
    pre:
      - name: prepare
        run: echo -n prepared > /xyz/pre
    post:
      - name: cleanup
        run: echo cleaned
    mounts:
      - type: volume
        target: /xyz
`);
    expect(job.state).toBe('COMPLETED');
    expect(job.context.tasks.out).toBe('prepared');
    const log = await request<Record<string, any>>(`${t.url}/jobs/${job.id}/log`);
    expect(log.body.items.map((p: { contents: string }) => p.contents).join('')).toContain('cleaned');
  });

  it('fails a task whose expression cannot be evaluated, saying why', async () => {
    const job = await runJob(t.url, `
name: bad each
tasks:
  - name: items
    each:
      list: "{{ inputs.missing }}"
      task:
        name: never
        run: "true"
`);
    expect(job.state).toBe('FAILED');
    expect(job.error).toMatch(/list/);
  });

  const examples = ['hello.yaml', 'each.yaml', 'parallel.yaml', 'subjob.yaml', 'prepost.yaml', 'job_output.yaml'];
  it.skipIf(!specsAvailable).each(examples)('runs Tork’s example %s to completion', async (file) => {
    const job = await runJob(t.url, readSpec(`tork-examples/${file}`), 30_000);
    expect(job.state).toBe('COMPLETED');
  });
});

describe('Tork task commands', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite');
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('runs cmd, entrypoint with run, files and a custom workdir', async () => {
    const job = await runJob(t.url, `
name: commands
tasks:
  - name: cmd only
    var: a
    cmd: ["sh", "-c", "echo -n from-cmd > $TORK_OUTPUT"]
  - name: entrypoint and run
    var: b
    entrypoint: ["bash", "-c"]
    run: "echo -n \${BASH_VERSION:+bash} > $TORK_OUTPUT"
  - name: files
    var: c
    files:
      data.txt: from-file
    run: cat data.txt > $TORK_OUTPUT
  - name: workdir
    var: d
    workdir: /tmp/here
    run: pwd > $TORK_OUTPUT
`);
    expect(job.state).toBe('COMPLETED');
    expect(job.context.tasks).toEqual({ a: 'from-cmd', b: 'bash', c: 'from-file', d: '/tmp/here\n' });
  });
});
