import { CronExpressionParser } from 'cron-parser';

/** The `@` schedules both Tork (robfig/cron) and Gantry's scheduler (cron-parser) understand. */
const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly']);

const FIELDS = 'minute hour day-of-month month day-of-week';

/**
 * What is wrong with a `schedule.cron`, or undefined. Tork schedules with gocron in
 * standard mode (robfig/cron `ParseStandard`): five fields, no seconds, plus the
 * `@` descriptors. Gantry's scheduler uses cron-parser, which would also take a
 * seconds field, so the field count is checked here to keep Tork's meaning.
 * `@every`, `@midnight` and `CRON_TZ=` prefixes, which robfig also knows, have no
 * cron-parser equivalent and are refused with a hint instead.
 */
export function cronProblem(cron: string): string | undefined {
  const text = cron.trim();
  if (text.startsWith('@')) {
    if (DESCRIPTORS.has(text)) return undefined;
    if (text === '@midnight') return '"@midnight" is not supported; use "@daily" (the same schedule)';
    if (text.startsWith('@every')) return '"@every" intervals are not supported; use a 5-field cron expression such as "*/5 * * * *"';
    return `unknown schedule ${JSON.stringify(text)}; use a 5-field cron expression (${FIELDS}) or one of ${[...DESCRIPTORS].join(', ')}`;
  }
  if (/^(CRON_)?TZ=/.test(text)) return 'time-zone prefixes (TZ=, CRON_TZ=) are not supported';
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    const seconds = fields.length === 6 ? ' (a seconds field is not supported)' : '';
    return `a cron expression has 5 fields (${FIELDS}), got ${fields.length}${seconds}`;
  }
  try {
    CronExpressionParser.parse(text);
    return undefined;
  } catch (error) {
    return `invalid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}
