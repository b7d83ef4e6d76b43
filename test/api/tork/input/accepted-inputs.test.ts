import { describe, expect, it } from 'vitest';
import { parseJobSubmission } from '../../../../src/api/tork/input/index.js';
import { yaml } from './helpers.js';

const parseYaml = (...lines: string[]) => parseJobSubmission(yaml(...lines), 'text/yaml');

describe('accepted submissions', () => {
  it('accepts a task with run and no image (Gantry runs processes)', () => {
    expect(parseYaml('name: x', 'tasks:', '  - name: a', '    run: echo hi').job).toEqual({ name: 'x', tasks: [{ name: 'a', run: 'echo hi' }] });
  });

  it('turns YAML numbers and booleans in string fields into their text, as Go does', () => {
    const { job } = parseYaml(
      'name: 2024',
      'inputs: {version: 3.10, hex: 0x1F, on: true, none: ~, empty: ""}',
      'tags: [1, yes]',
      'tasks:',
      '  - name: 1.50',
      '    cmd: [sleep, 5]',
      '    env: {N: 007}',
      '    limits: {cpus: .5, memory: 512}',
    );
    expect(job).toEqual({
      name: '2024',
      inputs: { version: '3.10', hex: '0x1F', on: 'true', none: '', empty: '' },
      tags: ['1', 'yes'],
      tasks: [{ name: '1.50', cmd: ['sleep', '5'], env: { N: '007' }, limits: { cpus: '.5', memory: '512' } }],
    });
  });

  it('treats null and "" as an absent field', () => {
    const { job } = parseYaml('name: x', 'description: ~', 'defaults:', 'tasks:', '  - name: a', '    image: ""', '    retry: ~', '    queue:');
    expect(job).toEqual({ name: 'x', tasks: [{ name: 'a' }] });
  });

  it('expands anchors, aliases and << merge keys', () => {
    const { job } = parseYaml(
      'name: x',
      'tasks:',
      '  - name: a',
      '    env: &common {A: "1", B: "2"}',
      '  - name: b',
      '    env:',
      '      <<: *common',
      '      B: "3"',
      '  - name: c',
      '    env: *common',
    );
    expect(job.tasks.map((task) => task.env)).toEqual([{ A: '1', B: '2' }, { A: '1', B: '3' }, { A: '1', B: '2' }]);
  });

  it('strips a byte-order mark and accepts a Buffer', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name": "x", "tasks": [{"name": "a"}]}')]);
    expect(parseJobSubmission(body, 'application/json').job).toEqual({ name: 'x', tasks: [{ name: 'a' }] });
    expect(parseJobSubmission('\uFEFFname: x\ntasks: [{name: a}]\n', 'text/yaml').job.name).toBe('x');
  });

  it('returns wait as milliseconds', () => {
    expect(parseYaml('name: x', 'wait: {timeout: 1m30s}', 'tasks: [{name: a}]').wait).toEqual({ timeoutMs: 90_000 });
  });

  it('accepts every field of the contract', () => {
    const { job } = parseYaml(
      'name: full',
      'description: all fields',
      'tags: [a]',
      'inputs: {a: b}',
      'secrets: {s: t}',
      'defaults: {retry: {limit: 2}, limits: {cpus: "1", memory: 1g}, timeout: 1h, queue: q, priority: 3}',
      'webhooks: [{url: "https://example.com/hook", headers: {X-A: b}, event: task.Progress}]',
      'permissions: [{user: u}, {role: r}]',
      'autoDelete: {after: 24h}',
      'tasks:',
      '  - name: main',
      '    description: d',
      '    image: alpine',
      '    run: echo',
      '    cmd: [a]',
      '    entrypoint: [sh, -c]',
      '    registry: {username: u, password: p}',
      '    env: {A: b}',
      '    files: {script.sh: echo, sub/dir.txt: x}',
      '    queue: q',
      '    pre: [{name: p, run: x, timeout: 5s}]',
      '    post: [{name: p, image: i, registry: {username: u}, env: {A: b}, files: {f: x}, description: d, cmd: [x], entrypoint: [y]}]',
      '    sidecars: [{name: s, run: x, probe: {path: /health, port: 8080, timeout: 1s}}]',
      '    mounts: [{type: volume, target: /data}, {type: bind, source: /src, target: /dst, opts: {ro: "true"}}, {type: tmpfs, target: /tmp}]',
      '    networks: [n]',
      '    retry: {limit: 10}',
      '    limits: {cpus: ".25", memory: 100m}',
      '    timeout: 90s',
      '    var: out',
      '    gpus: all',
      '    tags: [t]',
      '    workdir: /work',
      '    priority: 9',
      '  - name: fan',
      '    parallel: {tasks: [{name: p1}]}',
      '  - name: loop',
      '    each: {list: "[1, 2]", var: it, concurrency: 0, task: {name: e}}',
      '  - name: child',
      '    subjob:',
      '      name: sub',
      '      description: d',
      '      tasks: [{name: s1}]',
      '      inputs: {a: b}',
      '      secrets: {c: d}',
      '      autoDelete: {after: 0s}',
      '      detached: true',
      '      webhooks: [{url: "http://example.com"}]',
    );
    expect(job.tasks).toHaveLength(4);
    expect(job.tasks[0]?.mounts?.[1]).toEqual({ type: 'bind', source: '/src', target: '/dst', opts: { ro: 'true' } });
    expect(job.tasks[2]?.each).toEqual({ list: '[1, 2]', var: 'it', concurrency: 0, task: { name: 'e' } });
    expect(job.tasks[3]?.subjob?.detached).toBe(true);
    expect(job.defaults).toEqual({ retry: { limit: 2 }, limits: { cpus: '1', memory: '1g' }, timeout: '1h', queue: 'q', priority: 3 });
  });

  it('accepts expressions that read what is there where they are evaluated', () => {
    const { job } = parseYaml(
      'name: x',
      'output: "{{ tasks.last ?: inputs.fallback }}"',
      'webhooks:',
      '  - url: "http://example.com/{{ job.id }}"',
      '    headers: {X-Token: "{{ secrets.token }}"}',
      '    if: "job.state == \'COMPLETED\'"',
      '  - url: http://example.com',
      '    event: task.StateChange',
      '    if: "{{ task.state == \'FAILED\' && job.name != \'\' }}"',
      'tasks:',
      '  - name: rows',
      '    each:',
      '      list: "{{ filter(fromJSON(inputs.rows), .size > 10) | map(.name) }}"',
      '      var: row',
      '      task:',
      '        name: "row {{ row.index }}"',
      '        if: "{{ let n = len(row.value); row.value != \'skip\' && n > 0 }}"',
      '        each:',
      '          list: "{{ sequence(0, 2) }}"',
      '          task:',
      '            name: "cell {{ row.index }}-{{ item.index }}"',
      '            subjob:',
      '              name: "child {{ item.value }}"',
      '              description: "{{ not evaluated, so not checked"',
      '              inputs: {cell: "{{ row.value }}/{{ item.value }}"}',
      '              output: "{{ inputs.cell }}"',
      '              tasks:',
      '                - name: inner',
      '                  env: {CELL: "{{ inputs.cell }}"}',
      '                  run: echo "{{ a script may use braces of its own }}"',
    );
    expect(job.tasks[0]?.each?.var).toBe('row');
  });
});
