import { describe, expect, it } from 'vitest';
import {
  evaluateExpression,
  evaluateTemplate,
  evaluateTemplateValue,
  expressionNames,
  stringMap,
  templateNames,
  validateExpression,
  validateTemplate,
} from '../../../src/core/expr/index.js';

const context = {
  inputs: { x: '5', run: 'true', name: 'World' },
  tasks: { out: '42', list: '[1,2,3]' },
  item: { index: '2', value: 7 },
  nums: [1, 2, 3],
  nested: { a: { b: 'deep' } },
};

describe('expressions', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ** 3 ** 2', 512],
    ['10 % 4', 2],
    ['-nums[0]', -1],
    ['"a" + \'b\'', 'ab'],
    ['inputs.x == "5"', true],
    ["inputs.run == 'true' && tasks.out != ''", true],
    ['not (1 > 2) and true', true],
    ['false or nil ?? "fallback"', true],
    ['false or (nil ?? false)', false],
    ['inputs.missing ?? "fallback"', 'fallback'],
    ['inputs.missing.deeper', null],
    ['nested.a.b', 'deep'],
    ['nested["a"]["b"]', 'deep'],
    ['nums[-1]', 3],
    ['2 in nums', true],
    ['5 not in nums', true],
    ['"ell" in "hello"', true],
    ['"hello" contains "ell"', true],
    ['"hello" startsWith "he" && "hello" endsWith "lo"', true],
    ['"abc123" matches "^[a-z]+[0-9]+$"', true],
    ['1 < 2 ? "yes" : "no"', 'yes'],
    ['sequence(1, 5)', [1, 2, 3, 4]],
    ['1..3', [1, 2, 3]],
    ['len(nums) + len("ab") + len({a: 1})', 6],
    ['upper(inputs.name) + lower("X")', 'WORLDx'],
    ['split("a,b", ",")', ['a', 'b']],
    ['join(["a", "b"], "-")', 'a-b'],
    ['fromJSON(tasks.list)[1]', 2],
    ['toJSON({b: 1, a: [1]})', '{\n  "a": [\n    1\n  ],\n  "b": 1\n}'],
    ['int("7") + float("0.5")', 7.5],
    ['[1, 2,][1]', 2],
    ['item.index', '2'],
    ['nums.length', 3],
    ['inputs.__proto__', null],
    ['inputs.constructor', null],
  ])('%s', (source, expected) => {
    expect(evaluateExpression(source, context)).toEqual(expected);
  });

  it('gives random integers within the bound', () => {
    const value = evaluateExpression('randomInt(10)', {}) as number;
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThan(10);
  });

  it.each([
    ['inputs.x +', /unexpected end of expression at column 11/],
    ['1 +* 2', /unexpected "\*" at column 4/],
    ['"open', /unterminated string at column 1/],
    ['a # b', /unexpected "#"/],
    ['# > 1', /"#" can only be used inside a predicate/],
    ['filter(nums, #foo)', /unknown #foo/],
    ['nope(1)', /unknown function nope at column 1/],
    ['len(1, 2)', /len takes 1 argument, got 2/],
    ['replace("a")', /replace takes 3 to 4 arguments, got 1/],
    ['filter(nums)', /filter needs 2 arguments/],
    ['x.upper()', /methods are not supported/],
    ['a ?? b + 1', /operator \+ and \?\? cannot be mixed/],
    ['let x 1; x', /expected "=" but found "1"/],
    ['if true { 1 } 2', /expected "else" but found "2"/],
    ['"\\q"', /unknown escape \\q/],
    ['0x', /malformed number/],
    ['/* open', /unterminated comment/],
    ['('.repeat(200) + '1' + ')'.repeat(200), /nests more than 100 levels deep/],
    ['(1', /unexpected end/],
    ['1 2', /unexpected "2"/],
  ])('rejects the syntax of %s', (source, message) => {
    expect(() => validateExpression(source)).toThrow(message);
  });

  it.each([
    ['1 / 0', /division by zero/],
    ['map(1..100000, 1..100000)', /does too much work/],
    ['abs("x")', /abs: expected a number/],
    ['fromBase64("%%")', /not valid base64/],
    ['reduce([], #acc + #)', /the list is empty/],
    ['sort([1, "a"])', /cannot compare/],
    ['repeat("ab", 600000)', /longer than 1000000 characters/],
    ['"x" matches "("', /matches: error parsing regexp: missing closing \): `\(`/],
    ['"a" - 1', /needs numbers/],
    ['"a" < 1', /cannot compare/],
    ['sequence("x", 2)', /sequence: expected an integer/],
  ])('fails to evaluate %s with a clear error', (source, message) => {
    expect(() => evaluateExpression(source, context)).toThrow(message);
    try {
      evaluateExpression(source, context);
    } catch (error) {
      expect((error as { code?: string }).code).toBe('invalid_input');
    }
  });
});

describe('templates', () => {
  it('replaces each {{ }} with its value as text', () => {
    expect(evaluateTemplate('eachTask{{item.index}}', context)).toBe('eachTask2');
    expect(evaluateTemplate('hello {{ tasks.out }} and {{ nums }} {{ inputs.none }}!', context)).toBe('hello 42 and [1,2,3] !');
    expect(evaluateTemplate('no braces', context)).toBe('no braces');
  });

  it('yields the raw value of a lone {{ }}', () => {
    expect(evaluateTemplateValue('{{ sequence(1,3) }}', context)).toEqual([1, 2]);
    expect(evaluateTemplateValue(' {{ 1 + 1 }} ', context)).toBe(2);
    expect(evaluateTemplateValue('{{ 1 }}{{ 2 }}', context)).toBe('12');
  });

  it('validates every {{ }} and the braces', () => {
    expect(() => validateTemplate('a {{ x + }} b')).toThrow(/unexpected end/);
    expect(() => validateTemplate('a {{ x')).toThrow(/without a closing/);
    expect(() => validateTemplate('fine {{ x }} and {{ y.z }}')).not.toThrow();
  });
});

describe('expr-lang operators', () => {
  it.each([
    // Precedence as expr-lang's table: ?? binds tightest, then ** and ^, then unary minus.
    ['2 ^ 3 ^ 2', 512],
    ['-2 ** 2', -4],
    ['1 + 2 * 3 == 7 and not false', true],
    ['nil ?? 1', 1],
    ['1 + (nil ?? 2)', 3],
    // Chained comparisons mean "and".
    ['1 < 2 < 3', true],
    ['3 > 2 > 2', false],
    ['"a" not in ["b"]', true],
    ['"hello" not contains "z"', true],
    ['"hello" not startsWith "z" && "hello" not endsWith "z" && "x" not matches "y"', true],
    ['"" ?: "default"', 'default'],
    ['"set" ?: "default"', 'set'],
    ['0x1F + 0o17 + 0b11 + 1_000', 1049],
    ['1.5e1', 15],
    ['"\\u00e9\\x41\\101\\t"', 'éAA\t'],
    ['`raw \\n`', 'raw \\n'],
    ['1 + /* inline */ 2 // to the end', 3],
    ['"Hello World"[0:5]', 'Hello'],
    ['nums[1:]', [2, 3]],
    ['nums[:-1]', [1, 2]],
    ['nums[-2:]', [2, 3]],
    ['nums?.[0]', 1],
    ['nested?.x?.y', null],
    ['let x = 2; let y = x * 3; y + 1', 7],
    ['if nums[0] > 5 { "big" } else if nums[0] > 0 { "small" } else { "none" }', 'small'],
    ['1; 2; 3', 3],
    ['nums | map(# * 2) | sum()', 12],
    ['"a,b" | split(",") | join("-")', 'a-b'],
    ['{(inputs.name): 1}.World', 1],
  ])('%s', (source, expected) => {
    expect(evaluateExpression(source, context)).toEqual(expected);
  });
});

describe('expr-lang built-in functions', () => {
  it.each([
    ['type(1)', 'int'],
    ['type(1.5)', 'float'],
    ['type("x") + type(nil) + type(true) + type([]) + type({})', 'stringnilboolarraymap'],
    ['[ceil(1.2), floor(1.8), round(2.5), round(-2.5), abs(-3)]', [2, 1, 3, -3, 3]],
    ['[int("42"), int(3.9), float("1.5"), string(7), string(nil)]', [42, 3, 1.5, '7', '<nil>']],
    ['[trim("  a "), trim("xxaxx", "x"), trimPrefix("prefix-a", "prefix-"), trimSuffix("a.txt", ".txt"), trimPrefix(" a")]', ['a', 'a', 'a', 'a', 'a']],
    ['split("a,b,c", ",", 2)', ['a', 'b,c']],
    ['split("a,b", ",", 0)', []],
    ['splitAfter("a,b,c", ",")', ['a,', 'b,', 'c']],
    ['replace("aaa", "a", "b")', 'bbb'],
    ['replace("aaa", "a", "b", 2)', 'bba'],
    ['repeat("ab", 3)', 'ababab'],
    ['[indexOf("abcb", "b"), lastIndexOf("abcb", "b"), indexOf("abc", "z")]', [1, 3, -1]],
    ['hasPrefix("abc", "ab") && hasSuffix("abc", "bc")', true],
    ['[max(1, 5, 3), min([4, 2]), max([1, [7]], 3), mean(1, 2, 3, 4), median([3, 1, 2]), median([1, 2, 3, 4])]', [5, 2, 7, 2.5, 2, 2.5]],
    ['[toBase64("hi"), fromBase64("aGk=")]', ['aGk=', 'hi']],
    ['toJSON("<&>")', '"\\u003c\\u0026\\u003e"'],
    ['toJSON([])', '[]'],
    ['fromJSON(toJSON({a: [1, {b: nil}]}))', { a: [1, { b: null }] }],
    ['[first([]), last([1, 2]), get(nums, 9), get({a: 1}, "a")]', [null, 2, null, 1]],
    ['take(nums, 2)', [1, 2]],
    ['[keys({b: 1, a: 2}), values({b: 1, a: 2})]', [['b', 'a'], [1, 2]]],
    ['toPairs({a: 1})', [['a', 1]]],
    ['fromPairs([["a", 1], ["b", 2]])', { a: 1, b: 2 }],
    ['[reverse(nums), uniq([1, 1, "1", 2]), concat([1], [2, 3], []), flatten([1, [2, [3, [4]]]])]', [[3, 2, 1], [1, '1', 2], [1, 2, 3], [1, 2, 3, 4]]],
    ['[sort([3, 1, 2]), sort(["b", "a"], "desc")]', [[1, 2, 3], ['b', 'a']]],
    ['[bitand(6, 3), bitor(6, 3), bitxor(6, 3), bitnand(6, 3), bitshl(1, 40), bitshr(-8, 1), bitnot(0)]', [2, 7, 5, 4, 2 ** 40, -4, -1]],
    ['len("héllo")', 5],
  ])('%s', (source, expected) => {
    expect(evaluateExpression(source, context)).toEqual(expected);
  });

  it('gives now() as an RFC 3339 time', () => {
    expect(Date.parse(evaluateExpression('now()', {}) as string)).not.toBeNaN();
  });
});

describe('predicates', () => {
  const people = { people: [{ name: 'ann', age: 31 }, { name: 'bob', age: 17 }, { name: 'cy', age: 45 }] };
  it.each([
    ['filter(nums, # > 1)', [2, 3]],
    ['filter(nums, {# > 1})', [2, 3]],
    ['map(nums, # * #index)', [0, 2, 6]],
    ['map(people, .name)', ['ann', 'bob', 'cy']],
    ['map(filter(people, .age >= 18), upper(.name))', ['ANN', 'CY']],
    ['[all(nums, # > 0), any(nums, # > 2), none(nums, # > 3), one(nums, # == 2)]', [true, true, true, true]],
    ['[find(nums, # > 1), findIndex(nums, # > 1), findLast(nums, # < 3), findLastIndex(nums, # < 3), find(nums, # > 9)]', [2, 1, 2, 1, null]],
    ['[count(nums, # > 1), count([true, false, true])]', [2, 2]],
    ['[sum(nums), sum(people, .age)]', [6, 93]],
    ['groupBy(nums, # % 2 == 0 ? "even" : "odd")', { odd: [1, 3], even: [2] }],
    ['map(sortBy(people, .age, "desc"), .name)', ['cy', 'ann', 'bob']],
    ['reduce(nums, #acc + #)', 6],
    ['reduce(nums, #acc + #, 10)', 16],
    ['map(nums, filter(nums, # > 1))', [[2, 3], [2, 3], [2, 3]]],
    ['filter({a: 1, b: 2}, # > 1)', [2]],
  ])('%s', (source, expected) => {
    expect(evaluateExpression(source, { ...context, ...people })).toEqual(expected);
  });
});

describe("Tork's string maps", () => {
  const tork = { inputs: stringMap({ given: 'x', flag: 'false' }), tasks: stringMap({}) };
  it.each([
    // A missing key of inputs/secrets/tasks/job reads as "", as a Go map[string]string does.
    ["inputs.missing == ''", true],
    ['inputs.missing', ''],
    ['inputs.missing ?: "default"', 'default'],
    ['inputs.given ?: "default"', 'x'],
    ['tasks.none', ''],
    ['inputs.missing.deeper', null],
    ['"missing" in inputs', false],
    ['keys(inputs)', ['given', 'flag']],
  ])('%s', (source, expected) => {
    expect(evaluateExpression(source, tork)).toEqual(expected);
  });

  it('renders a missing key as nothing in a template', () => {
    expect(evaluateTemplate('[{{ inputs.missing }}] {{ inputs }}', tork)).toBe('[] {"given":"x","flag":"false"}');
  });
});

describe('names', () => {
  it('lists the top-level names an expression reads, not its own variables or predicate items', () => {
    expect(expressionNames('inputs.x + len(tasks[item.index]) + filter(nums, # > 1)[0]').sort()).toEqual(['inputs', 'item', 'nums', 'tasks']);
    expect(expressionNames('let y = inputs.a; y + job.id')).toEqual(['inputs', 'job']);
    expect(templateNames('a {{ inputs.x }} b {{ secrets.y ?? inputs.z }}').sort()).toEqual(['inputs', 'secrets']);
    expect(expressionNames('{a: 1}.a + true + nil')).toEqual([]);
  });
});

describe('template values', () => {
  it('refuses a value holding a NUL character, which no field can store', () => {
    expect(() => evaluateTemplate('x{{ fromBase64("AA==") }}', {})).toThrow(/holds a NUL character/);
  });
});

describe('matches', () => {
  it.each([
    ["'abab' matches '^(ab)+$'", true],
    ["'ab' matches '^(a|b)*$'", true],
    ["'aaa' matches '^a{2,3}$'", true],
    ["'a{' matches 'a{'", true],
    ["'(x)' matches '\\\\(x\\\\)'", true],
    ["'x' matches '[(a+)+]'", false],
    // Go's MatchString: a match anywhere in the text.
    ["'say hello' matches 'hel+o'", true],
    // Linear time, as in Go: nested repetition is answered at once, not by backtracking.
    ["'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' matches '^(a+)+$'", false],
    ["'a b' matches '^(\\\\w+\\\\s?)*$'", true],
  ])('%s', (source, expected) => {
    expect(evaluateExpression(source, {})).toBe(expected);
  });

  it.each([
    // Go's RE2 has neither, and says so in these words.
    ["'aa' matches '(a)\\\\1'", /error parsing regexp: invalid escape sequence/],
    ["'ab' matches 'a(?=b)'", /error parsing regexp: invalid or unsupported Perl syntax/],
  ])('refuses %s', (source, message) => {
    expect(() => evaluateExpression(source, {})).toThrow(message);
  });
});
