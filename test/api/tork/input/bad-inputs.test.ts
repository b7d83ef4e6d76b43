import { describe, expect, it } from 'vitest';
import { parseJobSubmission, parseScheduledJobSubmission } from '../../../../src/api/tork/input/index.js';
import { invalid, yaml } from './helpers.js';

/** [what, body, substrings the message must contain] — all YAML, POST /jobs. */
const YAML_CASES: [string, string, string[]][] = [
  ['job without name', yaml('tasks:', '  - name: a'), ['name: required (line 1, column 1)']],
  ['job without tasks', yaml('name: x'), ['tasks: required (line 1, column 1)']],
  ['empty task list', yaml('name: x', 'tasks: []'), ['tasks: must list at least one task (line 2, column 8)']],
  ['task without name', yaml('name: x', 'tasks:', '  - run: echo hi'), ['tasks[0].name: required (line 3, column 5)']],
  ['unknown task field', yaml('name: x', 'tasks:', '  - name: a', '    rn: echo'), ['tasks[0]: unknown field "rn" (did you mean "run"?) (line 4, column 5)']],
  ['unknown job field', yaml('name: x', 'tsks: []'), ['unknown field "tsks" (did you mean "tasks"?) (line 2, column 1)']],
  ['field in the wrong case', yaml('name: x', 'autodelete: {after: 1h}', 'tasks: [{name: a}]'), ['unknown field "autodelete" (did you mean "autoDelete"?)']],
  ['schedule on POST /jobs', yaml('name: x', 'schedule: {cron: "* * * * *"}', 'tasks: [{name: a}]'), ['unknown field "schedule" (line 2, column 1)']],
  ['retry limit too high', yaml('name: x', 'tasks:', '  - name: a', '    retry:', '      limit: 11'), ['tasks[0].retry.limit: must be between 1 and 10, got 11 (line 5, column 14)']],
  ['retry limit zero', yaml('name: x', 'tasks:', '  - name: a', '    retry: {limit: 0}'), ['tasks[0].retry.limit: must be between 1 and 10, got 0']],
  ['retry without limit', yaml('name: x', 'tasks:', '  - name: a', '    retry: {}'), ['tasks[0].retry.limit: required (line 4, column 12)']],
  ['quoted number', yaml('name: x', 'tasks:', '  - name: a', '    priority: "3"'), ['tasks[0].priority: must be a whole number, got the string "3" (line 4, column 15)']],
  ['fractional number', yaml('name: x', 'tasks:', '  - name: a', '    priority: 1.5'), ['tasks[0].priority: must be a whole number, got the number 1.5']],
  ['priority out of range', yaml('name: x', 'tasks:', '  - name: a', '    priority: 10'), ['tasks[0].priority: must be between 0 and 9, got 10']],
  ['tasks not a list', yaml('name: x', 'tasks: hello'), ['tasks: must be a list, got the string "hello" (line 2, column 8)']],
  ['env not a mapping', yaml('name: x', 'tasks:', '  - name: a', '    env: [A]'), ['tasks[0].env: must be a mapping, got a list (line 4, column 10)']],
  ['name as a mapping', yaml('name: {a: 1}', 'tasks: [{name: a}]'), ['name: must be a string, got a mapping (line 1, column 7)']],
  ['boolean as a string', yaml('name: x', 'tasks:', '  - name: a', '    subjob:', '      name: s', '      detached: "yes"', '      tasks: [{name: b}]'), ['tasks[0].subjob.detached: must be true or false']],
  ['bad timeout', yaml('name: x', 'tasks:', '  - name: a', '    timeout: 5 minutes'), ['tasks[0].timeout: invalid duration "5 minutes"', '(line 4, column 14)']],
  ['timeout without unit', yaml('name: x', 'tasks:', '  - name: a', '    timeout: 30'), ['tasks[0].timeout: invalid duration "30": "30" has no unit']],
  ['zero timeout', yaml('name: x', 'tasks:', '  - name: a', '    timeout: 0s'), ['tasks[0].timeout: must be longer than 0']],
  ['private queue', yaml('name: x', 'tasks:', '  - name: a', '    queue: x-node1'), ['tasks[0].queue: "x-node1" is a node\'s private queue']],
  ['coordinator queue', yaml('name: x', 'tasks:', '  - name: a', '    queue: jobs'), ['tasks[0].queue: "jobs" is reserved for the coordinator']],
  ['long var', yaml('name: x', 'tasks:', '  - name: a', `    var: ${'v'.repeat(65)}`), ['tasks[0].var: must be at most 64 characters long, got 65']],
  ['long workdir', yaml('name: x', 'tasks:', '  - name: a', `    workdir: /${'w'.repeat(256)}`), ['tasks[0].workdir: must be at most 256 characters long, got 257']],
  ['bad cpus', yaml('name: x', 'tasks:', '  - name: a', '    limits: {cpus: half}'), ['tasks[0].limits.cpus: invalid cpus "half"']],
  ['zero cpus', yaml('name: x', 'tasks:', '  - name: a', '    limits: {cpus: 0}'), ['tasks[0].limits.cpus: must be greater than 0']],
  ['Kubernetes memory', yaml('name: x', 'tasks:', '  - name: a', '    limits: {memory: 1Gi}'), ['tasks[0].limits.memory: invalid memory size "1Gi"']],
  ['composite with image', yaml('name: x', 'tasks:', '  - name: a', '    image: alpine', '    parallel:', '      tasks: [{name: b}]'), ['tasks[0].image: not allowed on a parallel task: it runs nothing itself, only the tasks inside it (line 4, column 12)']],
  ['composite with run and env', yaml('name: x', 'tasks:', '  - name: a', '    run: echo', '    env: {A: b}', '    each: {list: "[1]", task: {name: b}}'), ['tasks[0].run: not allowed on an each task', 'tasks[0].env: not allowed on an each task']],
  ['two composites', yaml('name: x', 'tasks:', '  - name: a', '    parallel: {tasks: [{name: b}]}', '    subjob: {name: s, tasks: [{name: c}]}'), ['tasks[0]: a task can be only one of parallel, each or subjob; this one sets parallel and subjob (line 3, column 5)']],
  ['empty parallel', yaml('name: x', 'tasks:', '  - name: a', '    parallel:', '      tasks: []'), ['tasks[0].parallel.tasks: must list at least one task (line 5, column 14)']],
  ['parallel without tasks', yaml('name: x', 'tasks:', '  - name: a', '    parallel: {}'), ['tasks[0].parallel.tasks: required']],
  ['nested task without name', yaml('name: x', 'tasks:', '  - name: a', '    parallel:', '      tasks:', '        - run: echo'), ['tasks[0].parallel.tasks[0].name: required (line 6, column 11)']],
  ['nested rule', yaml('name: x', 'tasks:', '  - name: a', '    subjob:', '      name: s', '      tasks:', '        - name: b', '          retry: {limit: 20}'), ['tasks[0].subjob.tasks[0].retry.limit: must be between 1 and 10, got 20 (line 8, column 26)']],
  ['each without list', yaml('name: x', 'tasks:', '  - name: a', '    each:', '      task: {name: b}'), ['tasks[0].each.list: required (line 5, column 7)']],
  ['each without task', yaml('name: x', 'tasks:', '  - name: a', '    each:', '      list: "[1]"'), ['tasks[0].each.task: required']],
  ['each concurrency', yaml('name: x', 'tasks:', '  - name: a', '    each: {list: "[1]", task: {name: b}, concurrency: 100000}'), ['tasks[0].each.concurrency: must be between 0 and 99999']],
  ['subjob without name and tasks', yaml('name: x', 'tasks:', '  - name: a', '    subjob: {output: x}'), ['tasks[0].subjob.name: required', 'tasks[0].subjob.tasks: required']],
  ['empty subjob', yaml('name: x', 'tasks:', '  - name: a', '    subjob: {name: s, tasks: []}'), ['tasks[0].subjob.tasks: must list at least one task']],
  ['mount type unknown', yaml('name: x', 'tasks:', '  - name: a', '    mounts:', '      - type: nfs', '        target: /x'), ['tasks[0].mounts[0].type: must be one of volume, bind, tmpfs, got the string "nfs" (line 5, column 15)']],
  ['mount without type', yaml('name: x', 'tasks:', '  - name: a', '    mounts: [{target: /x}]'), ['tasks[0].mounts[0].type: required']],
  ['volume with source', yaml('name: x', 'tasks:', '  - name: a', '    mounts: [{type: volume, source: /a, target: /b}]'), ['tasks[0].mounts[0].source: not allowed for a volume mount']],
  ['volume without target', yaml('name: x', 'tasks:', '  - name: a', '    mounts: [{type: volume}]'), ['tasks[0].mounts[0].target: required for a volume mount']],
  ['bind without source', yaml('name: x', 'tasks:', '  - name: a', '    mounts: [{type: bind, target: /b}]'), ['tasks[0].mounts[0].source: required for a bind mount']],
  ['tmpfs without target', yaml('name: x', 'tasks:', '  - name: a', '    mounts: [{type: tmpfs}]'), ['tasks[0].mounts[0].target: required for a tmpfs mount']],
  ['mount path characters', yaml('name: x', 'tasks:', '  - name: a', '    mounts: [{type: bind, source: "/a#b", target: "/c:d"}]'), ['tasks[0].mounts[0].source: may contain only', 'tasks[0].mounts[0].target: may contain only']],
  ['mount on /tork', yaml('name: x', 'tasks:', '  - name: a', '    mounts: [{type: volume, target: /tork}]'), ['tasks[0].mounts[0].target: "/tork" is reserved']],
  ['pre task without name', yaml('name: x', 'tasks:', '  - name: a', '    pre:', '      - run: echo'), ['tasks[0].pre[0].name: required (line 5, column 9)']],
  ['post task with task fields', yaml('name: x', 'tasks:', '  - name: a', '    post:', '      - name: p', '        retry: {limit: 1}'), ['tasks[0].post[0]: unknown field "retry" (line 6, column 9)']],
  ['aux timeout', yaml('name: x', 'tasks:', '  - name: a', '    pre: [{name: p, timeout: soon}]'), ['tasks[0].pre[0].timeout: invalid duration "soon"']],
  ['sidecar probe', yaml('name: x', 'tasks:', '  - name: a', '    sidecars:', '      - name: s', '        probe: {port: 0}'), ['tasks[0].sidecars[0].probe.path: required']],
  ['sidecar probe port', yaml('name: x', 'tasks:', '  - name: a', '    sidecars: [{name: s, probe: {path: /health, port: 70000}}]'), ['tasks[0].sidecars[0].probe.port: must be between 1 and 65535']],
  ['file name escaping the work dir', yaml('name: x', 'tasks:', '  - name: a', '    files:', '      ../etc/passwd: x'), ['tasks[0].files["../etc/passwd"]: a file name must be a relative path', '(line 5, column 7)']],
  ['defaults', yaml('name: x', 'defaults:', '  priority: 12', '  queue: x-a', '  timeout: forever', '  retry: {limit: 0}', 'tasks: [{name: a}]'), ['defaults.priority: must be between 0 and 9', 'defaults.queue: "x-a"', 'defaults.timeout: invalid duration', 'defaults.retry.limit: must be between 1 and 10']],
  ['webhook without url', yaml('name: x', 'webhooks:', '  - event: job.StateChange', 'tasks: [{name: a}]'), ['webhooks[0].url: required (line 3, column 5)']],
  ['webhook url scheme', yaml('name: x', 'webhooks: [{url: "ftp://example.com"}]', 'tasks: [{name: a}]'), ['webhooks[0].url: must be an http or https URL']],
  ['webhook event', yaml('name: x', 'webhooks: [{url: "http://example.com", event: job.Done}]', 'tasks: [{name: a}]'), ['webhooks[0].event: must be one of job.StateChange, job.Progress, task.StateChange, task.Progress']],
  ['permission with neither', yaml('name: x', 'permissions: [{}]', 'tasks: [{name: a}]'), ['permissions[0]: set exactly one of user or role (line 2, column 15)']],
  ['permission with both', yaml('name: x', 'permissions: [{user: u, role: r}]', 'tasks: [{name: a}]'), ['permissions[0]: set exactly one of user or role']],
  ['autoDelete', yaml('name: x', 'autoDelete: {after: "-1h"}', 'tasks: [{name: a}]'), ['autoDelete.after: must not be negative']],
  ['autoDelete without after', yaml('name: x', 'autoDelete: {}', 'tasks: [{name: a}]'), ['autoDelete.after: required']],
  ['wait without timeout', yaml('name: x', 'wait: {}', 'tasks: [{name: a}]'), ['wait.timeout: required (line 2, column 7)']],
  ['wait with bad timeout', yaml('name: x', 'wait: {timeout: 10}', 'tasks: [{name: a}]'), ['wait.timeout: invalid duration "10"']],
  ['invalid expression', yaml('name: x', 'tasks:', '  - name: a', '    if: "{{ 1 + }}"'), ['tasks[0].if: invalid expression', '(line 4, column 9)']],
  ['invalid template in env', yaml('name: x', 'tasks:', '  - name: a', '    env:', '      A: "{{ inputs. }}"'), ['tasks[0].env.A: invalid expression', '(line 5, column 10)']],
  ['invalid output', yaml('name: x', 'output: "{{ ) }}"', 'tasks: [{name: a}]'), ['output: invalid expression', '(line 2, column 9)']],
  ['syntax error', yaml('name: x', 'tasks:', '  - name: a', '   run: echo'), ['line 4, column 1: ']],
  ['unclosed flow sequence', yaml('name: x', 'tasks: [{name: a}'), ['line 3, column 1: ']],
  ['duplicate key', yaml('name: x', 'name: y', 'tasks: [{name: a}]'), ['line 2, column 1: duplicate key "name"']],
  ['duplicate quoted key in a flow mapping', yaml('name: x', 'tasks: [{name: a, "name": b}]'), ['line 2, column 19: duplicate key "name"']],
  ['two documents', yaml('name: x', 'tasks: [{name: a}]', '---', 'name: y'), ['line 3, column 1: the body holds more than one YAML document']],
  ['a list', yaml('- name: x'), ['the body must be a YAML mapping, got a list (line 1, column 1)']],
  ['a scalar', 'hello\n', ['the body must be a YAML mapping, got the string "hello"']],
  ['only comments', '# nothing here\n', ['the request body holds no job definition']],
  ['empty body', '', ['the request body is empty']],
  ['blank body', ' \n\t\n', ['the request body is empty']],
  ['__proto__ key', yaml('name: x', 'tasks:', '  - name: a', '    env: {__proto__: x}'), ['line 4, column 11: the key "__proto__" is not allowed']],
  ['unknown alias', yaml('name: *nothing', 'tasks: [{name: a}]'), ['line 1, column 7: ']],
  ['self-referencing alias', yaml('name: x', 'tasks: &t', '  - name: a', '    cmd: *t'), ['alias *t refers to a value that contains it']],
  // A YAML number or boolean where a mapping belongs names the value, not the parser's wrapper.
  ['number for a mapping', yaml('name: x', 'tasks:', '  - name: a', '    retry: 3'), ['tasks[0].retry: must be a mapping, got the number 3 (line 4, column 12)']],
  ['boolean for a task', yaml('name: x', 'tasks:', '  - true'), ['tasks[0]: must be a mapping, got true (line 3, column 5)']],
  ['number for the body', '5\n', ['the body must be a YAML mapping, got the number 5 (line 1, column 1)']],
  ['number for defaults', yaml('name: x', 'defaults: 1', 'tasks: [{name: a}]'), ['defaults: must be a mapping, got the number 1 (line 2, column 11)']],
  ['NUL in a string', yaml('name: "a\\0b"', 'tasks: [{name: a}]'), ['name: contains a NUL character', '(line 1, column 7)']],
  ['unknown function', yaml('name: x', 'tasks:', '  - name: a', '    env:', '      A: "{{ nope(1) }}"'), ['tasks[0].env.A: invalid expression: expression "nope(1)": unknown function nope', '(line 5, column 10)']],
  ['wrong argument count', yaml('name: x', 'tasks:', '  - name: a', '    each:', '      list: "{{ sequence(5) }}"', '      task: {name: b}'), ['tasks[0].each.list: invalid expression: expression "sequence(5)": sequence takes 2 arguments, got 1']],
  ['misspelt name', yaml('name: x', 'tasks:', '  - name: a', '    env:', '      A: "{{ input.x }}"'), ['tasks[0].env.A: invalid expression: unknown name input (did you mean inputs?); here an expression can read inputs, secrets, tasks, job (line 5, column 10)']],
  ['item outside an each', yaml('name: x', 'tasks:', '  - name: "a {{ item.index }}"'), ['tasks[0].name: invalid expression: unknown name item']],
  ['item under a custom each var', yaml('name: x', 'tasks:', '  - name: a', '    each:', '      list: "{{ [1] }}"', '      var: row', '      task: {name: "b {{ item.value }}"}'), ['tasks[0].each.task.name: invalid expression: unknown name item', 'can read inputs, secrets, tasks, job, row']],
  ['item inside a subjob of an each', yaml('name: x', 'tasks:', '  - name: a', '    each:', '      list: "{{ [1] }}"', '      task:', '        name: s', '        subjob:', '          name: "s {{ item.index }}"', '          tasks:', '            - name: "t {{ item.index }}"'), ['tasks[0].each.task.subjob.tasks[0].name: invalid expression: unknown name item; here an expression can read inputs, secrets, tasks, job (line 11, column 21)']],
  ['subjob output reads the parent item', yaml('name: x', 'tasks:', '  - name: a', '    each:', '      list: "{{ [1] }}"', '      task:', '        name: s', '        subjob:', '          name: s', '          output: "{{ item.value }}"', '          tasks: [{name: t}]'), ['tasks[0].each.task.subjob.output: invalid expression: unknown name item']],
  ['webhook condition reads inputs', yaml('name: x', 'webhooks:', '  - url: http://example.com', '    if: "{{ inputs.x == 1 }}"', 'tasks: [{name: a}]'), ['webhooks[0].if: invalid expression: unknown name inputs; here an expression can read job, task (line 4, column 9)']],
  ['webhook header template', yaml('name: x', 'webhooks:', '  - url: http://example.com', '    headers: {a: "{{ sekrets.x }}"}', 'tasks: [{name: a}]'), ['webhooks[0].headers.a: invalid expression: unknown name sekrets (did you mean secrets?)']],
  ['predicate pointer outside a predicate', yaml('name: x', 'tasks:', '  - name: "{{ # + 1 }}"'), ['tasks[0].name: invalid expression', 'can only be used inside a predicate']],
];

/** [what, body, substrings] — JSON, POST /jobs. */
const JSON_CASES: [string, string, string[]][] = [
  ['trailing comma', '{"name": "x", "tasks": [{"name": "a"},]}', ['line 1, column 39: expected a JSON value, found "]"']],
  ['missing comma on a later line', '{\n  "name": "x"\n  "tasks": []\n}', ['line 3, column 3: expected "," or "}", found "\\""']],
  ['unterminated string', '{"name": "x', ['line 1, column 10: unterminated string']],
  ['single quotes', "{'name': 'x'}", ['line 1, column 2: expected a quoted key']],
  ['bad escape', '{"name": "a\\qb"}', ['line 1, column 12: invalid escape "\\q"']],
  ['raw newline in string', '{"name": "a\nb"}', ['line 1, column 12: control characters must be escaped']],
  ['text after the value', '{"name": "x", "tasks": [{"name": "a"}]} extra', ['line 1, column 41: unexpected "e" after the end of the JSON value']],
  ['duplicate key', '{"name": "x", "name": "y"}', ['line 1, column 15: duplicate key "name"']],
  ['number for a string', '{"name": "x", "tasks": [{"name": "a", "run": 1}]}', ['tasks[0].run: must be a string, got the number 1 (line 1, column 46)']],
  ['string for a number', '{"name": "x", "tasks": [{"name": "a", "priority": "1"}]}', ['tasks[0].priority: must be a whole number, got the string "1"']],
  ['an array', '[{"name": "x"}]', ['the body must be a JSON object, got an array (line 1, column 1)']],
  ['unknown field', '{\n  "name": "x",\n  "tasks": [\n    {"name": "a", "imgae": "alpine"}\n  ]\n}', ['tasks[0]: unknown field "imgae" (did you mean "image"?) (line 4, column 19)']],
  ['rule on a later line', '{\n  "name": "x",\n  "tasks": [{"name": "a", "retry": {"limit": 99}}]\n}', ['tasks[0].retry.limit: must be between 1 and 10, got 99 (line 3, column 46)']],
  ['JSON null', 'null', ['the request body holds no job definition']],
  ['NUL in a string', '{"name": "a\\u0000b", "tasks": [{"name": "a"}]}', ['name: contains a NUL character (\\u0000)', '(line 1, column 10)']],
  ['NUL in a key', '{"name": "x", "inputs": {"k\\u0000": "v"}, "tasks": [{"name": "a"}]}', ['inputs["k\\u0000"]: the key contains a NUL character', '(line 1, column 26)']],
  ['empty', '', ['the request body is empty']],
];

describe('rejected submissions', () => {
  it.each(YAML_CASES)('YAML: %s', (_what, body, expected) => {
    const { message } = invalid(() => parseJobSubmission(body, 'text/yaml'));
    for (const part of expected) expect(message).toContain(part);
  });

  it.each(JSON_CASES)('JSON: %s', (_what, body, expected) => {
    const { message } = invalid(() => parseJobSubmission(body, 'application/json'));
    for (const part of expected) expect(message).toContain(part);
  });

  it('refuses wait on POST /scheduled-jobs', () => {
    const body = yaml('name: x', 'schedule: {cron: "0 * * * *"}', 'wait: {timeout: 1m}', 'tasks: [{name: a}]');
    expect(invalid(() => parseScheduledJobSubmission(body, 'text/yaml')).message).toContain('unknown field "wait" (line 3, column 1)');
  });

  it('lists several problems in text order and details each one', () => {
    const body = yaml('name: x', 'tasks:', '  - name: a', '    priority: 12', '  - name: b', '    timeout: soon', '    queue: jobs');
    const error = invalid(() => parseJobSubmission(body, 'text/yaml'));
    expect(error.message).toMatch(/^tasks\[0\]\.priority: .*; tasks\[1\]\.timeout: .*; tasks\[1\]\.queue: /);
    expect(error.details?.problems).toEqual([
      { field: 'tasks[0].priority', message: 'must be between 0 and 9, got 12', line: 4, column: 15 },
      expect.objectContaining({ field: 'tasks[1].timeout', line: 6, column: 14 }),
      expect.objectContaining({ field: 'tasks[1].queue', line: 7, column: 12 }),
    ]);
  });

  it('caps the problems listed in the message', () => {
    const tasks = Array.from({ length: 8 }, (_, index) => `  - {name: t${index}, priority: 20}`);
    const error = invalid(() => parseJobSubmission(yaml('name: x', 'tasks:', ...tasks), 'text/yaml'));
    expect(error.message).toContain('; and 3 more');
    expect(error.details?.problems).toHaveLength(8);
  });

  it('gives syntax errors a line and column in details', () => {
    const error = invalid(() => parseJobSubmission('{\n "name": }', 'application/json'));
    expect(error.details).toEqual({ line: 2, column: 10 });
  });

  it('counts CRLF line endings as one line break', () => {
    const body = 'name: x\r\ntasks:\r\n  - name: a\r\n    rn: echo\r\n';
    expect(invalid(() => parseJobSubmission(body, 'text/yaml')).message).toContain('(line 4, column 5)');
  });
});
