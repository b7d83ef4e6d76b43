import { stringMap, type ExpressionContext } from '../../core/expr/index.js';
import type { Job } from '../../core/model.js';

/** Extra names visible to one task's expressions, e.g. `item` inside an `each`. */
export type Scope = Record<string, unknown>;

/**
 * The names a pipeline's `{{ … }}` expressions can read. As in Tork, `inputs`,
 * `secrets`, `tasks` and `job` are maps of strings where a missing key reads
 * as "" (`inputs.flag == ''` holds for a flag not given).
 */
export function expressionContext(job: Job, scope: Scope = {}): ExpressionContext {
  return {
    inputs: stringMap(job.inputs),
    secrets: stringMap(job.secrets),
    tasks: stringMap(job.context.tasks),
    job: stringMap({ id: job.id, name: job.name, state: job.state.toUpperCase() }),
    ...scope,
  };
}

