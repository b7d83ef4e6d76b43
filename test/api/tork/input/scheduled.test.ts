import { describe, expect, it } from 'vitest';
import { parseScheduledJobSubmission } from '../../../../src/api/tork/input/index.js';
import { invalid, yaml } from './helpers.js';

const scheduled = (cron: string): string => yaml('name: nightly', 'schedule:', `  cron: ${JSON.stringify(cron)}`, 'tasks: [{name: a, run: echo}]');

describe('POST /scheduled-jobs bodies', () => {
  it.each(['0 0 * * *', '*/5 * * * *', '0/10 0 * * *', '0 9 * * MON-FRI', '15 2 1 JAN *', '@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@annually'])(
    'accepts %s',
    (cron) => {
      expect(parseScheduledJobSubmission(scheduled(cron), 'text/yaml')).toEqual({
        job: { name: 'nightly', tasks: [{ name: 'a', run: 'echo' }] },
        cron,
      });
    },
  );

  it.each([
    ['0 0 0 * * *', 'a cron expression has 5 fields (minute hour day-of-month month day-of-week), got 6 (a seconds field is not supported)'],
    ['* * * *', 'got 4'],
    ['invalid-cron', 'got 1'],
    ['61 * * * *', 'invalid cron expression'],
    ['@every 1h', '"@every" intervals are not supported'],
    ['@midnight', 'use "@daily"'],
    ['@reboot', 'unknown schedule "@reboot"'],
    ['CRON_TZ=UTC 0 0 * * *', 'time-zone prefixes'],
  ])('refuses %s', (cron, expected) => {
    const { message } = invalid(() => parseScheduledJobSubmission(scheduled(cron), 'text/yaml'));
    expect(message).toMatch(/^schedule\.cron: /);
    expect(message).toContain(expected);
    expect(message).toContain('(line 3, column 9)');
  });

  it('requires a schedule with a cron', () => {
    expect(invalid(() => parseScheduledJobSubmission(yaml('name: x', 'tasks: [{name: a}]'), 'text/yaml')).message).toBe('schedule: required (line 1, column 1)');
    expect(invalid(() => parseScheduledJobSubmission(yaml('name: x', 'schedule: {}', 'tasks: [{name: a}]'), 'text/yaml')).message).toBe(
      'schedule.cron: required (line 2, column 11)',
    );
  });

  it('validates the job like POST /jobs', () => {
    const body = yaml('name: x', 'schedule: {cron: "0 * * * *"}', 'tasks:', '  - name: a', '    retry: {limit: 12}');
    expect(invalid(() => parseScheduledJobSubmission(body, 'text/yaml')).message).toContain('tasks[0].retry.limit: must be between 1 and 10');
  });

  it('takes JSON, and application/x-yaml as a Gantry extension', () => {
    const json = JSON.stringify({ name: 'x', schedule: { cron: '0 * * * *' }, tasks: [{ name: 'a' }] });
    expect(parseScheduledJobSubmission(json, 'application/json').cron).toBe('0 * * * *');
    expect(parseScheduledJobSubmission(scheduled('@hourly'), 'application/x-yaml').cron).toBe('@hourly');
  });
});
