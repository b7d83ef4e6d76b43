import { describe, expect, it } from 'vitest';
import { parseJobSubmission, parseScheduledJobSubmission } from '../../../../src/api/tork/input/index.js';
import { invalid } from './helpers.js';

const YAML_JOB = 'name: x\ntasks: [{name: a}]\n';
const JSON_JOB = '{"name": "x", "tasks": [{"name": "a"}]}';
const SCHEDULED_YAML = 'name: x\nschedule: {cron: "@daily"}\ntasks: [{name: a}]\n';

describe('Content-Type of submissions', () => {
  it.each([
    ['text/yaml', YAML_JOB],
    ['application/x-yaml', YAML_JOB],
    ['application/json', JSON_JOB],
    // Gantry extensions: a utf-8 charset parameter and any letter case (Tork compares exactly).
    ['text/yaml; charset=utf-8', YAML_JOB],
    ['application/json;charset=UTF-8', JSON_JOB],
    ['Application/JSON', JSON_JOB],
    ['text/yaml; charset="utf-8"', YAML_JOB],
  ])('accepts %s', (contentType, body) => {
    expect(parseJobSubmission(body, contentType).job.name).toBe('x');
  });

  it.each([
    [undefined, 'missing content type'],
    ['', 'missing content type'],
    ['text/plain', 'unknown content type: text/plain'],
    ['application/yaml', 'unknown content type: application/yaml'],
    ['text/yaml; charset=latin1', 'unknown content type: text/yaml; charset=latin1'],
    ['application/json; version=2', 'unknown content type: application/json; version=2'],
    ['multipart/form-data; boundary=x', 'unknown content type: multipart/form-data; boundary=x'],
  ])('refuses %s with Tork\'s wording', (contentType, message) => {
    expect(invalid(() => parseJobSubmission(YAML_JOB, contentType)).message).toBe(message);
    expect(invalid(() => parseScheduledJobSubmission(SCHEDULED_YAML, contentType)).message).toBe(message);
  });

  it('parses by the declared type, not by sniffing', () => {
    expect(invalid(() => parseJobSubmission(YAML_JOB, 'application/json')).message).toContain('line 1, column 1: expected a JSON value');
  });

  it('reads JSON sent as YAML, since JSON is YAML', () => {
    expect(parseJobSubmission(JSON_JOB, 'text/yaml').job).toEqual({ name: 'x', tasks: [{ name: 'a' }] });
  });

  it('refuses bodies that are not UTF-8', () => {
    expect(invalid(() => parseJobSubmission(Buffer.from([0x6e, 0x61, 0xff, 0x3a]), 'text/yaml')).message).toBe('the request body is not valid UTF-8');
  });
});
