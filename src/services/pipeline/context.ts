import type { ExpressionContext } from '../../core/expr/index.js';
import type { Job } from '../../core/model.js';

/** Extra names visible to one task's expressions, e.g. `item` inside an `each`. */
export type Scope = Record<string, unknown>;

/** The names a pipeline's `{{ … }}` expressions can read. */
export function expressionContext(job: Job, scope: Scope = {}): ExpressionContext {
  return {
    inputs: job.inputs,
    secrets: job.secrets,
    tasks: job.context.tasks,
    job: { id: job.id, name: job.name, state: job.state.toUpperCase() },
    ...scope,
  };
}
