import { describe, expect, it } from 'vitest';
import { evaluateExpression, evaluateTemplate, evaluateTemplateValue, validateExpression, validateTemplate } from '../../../src/core/expr/index.js';

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
    ['false or nil ?? "fallback"', false],
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
    ['toJSON({a: [1]})', '{"a":[1]}'],
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
    ['a # b', /unexpected character "#"/],
    ['(1', /unexpected end/],
    ['1 2', /unexpected "2"/],
  ])('rejects the syntax of %s', (source, message) => {
    expect(() => validateExpression(source)).toThrow(message);
  });

  it.each([
    ['nope(1)', /unknown function nope/],
    ['1 / 0', /division by zero/],
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
