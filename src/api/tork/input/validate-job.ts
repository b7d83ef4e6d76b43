import { PIPELINE_EXPRESSION_NAMES, type PipelineDefinition } from '../../../core/pipeline.js';
import { checkDuration, checkLimits, checkQueue, checkRange, checkRetry, checkTemplates, checkWebhooks, type Problems } from './field-rules.js';
import { checkTasks } from './validate-task.js';

/**
 * The rules beyond shape for a whole job (Tork input/validate.go and the `validate`
 * tags of input/job.go, plus Gantry's caps). Returns every problem found; the
 * caller turns them into one error.
 */
export function validateJob(job: PipelineDefinition): Problems {
  const problems: Problems = [];
  checkTemplates(problems, ['output'], job.output, PIPELINE_EXPRESSION_NAMES);
  if (job.defaults) {
    const { retry, limits, timeout, queue, priority } = job.defaults;
    checkRetry(problems, ['defaults', 'retry'], retry);
    checkLimits(problems, ['defaults', 'limits'], limits);
    checkDuration(problems, ['defaults', 'timeout'], timeout, true);
    checkQueue(problems, ['defaults', 'queue'], queue);
    checkRange(problems, ['defaults', 'priority'], priority, 0, 9);
  }
  checkWebhooks(problems, ['webhooks'], job.webhooks, PIPELINE_EXPRESSION_NAMES);
  job.permissions?.forEach((permission, index) => {
    // Whether the user or role exists is for the service to check; the shape is checked here.
    if ((permission.user === undefined) === (permission.role === undefined)) {
      problems.push({ path: ['permissions', index], message: 'set exactly one of user or role' });
    }
  });
  checkDuration(problems, ['autoDelete', 'after'], job.autoDelete?.after, false);
  checkTasks({ problems, count: 0 }, ['tasks'], job.tasks);
  return problems;
}
