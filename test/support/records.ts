import { newId } from '../../src/core/ids.js';
import type { Task } from '../../src/core/model.js';
import type * as jobsRepo from '../../src/store/jobs-repo.js';

/** A job record as the engine would insert it, for store tests. */
export function newJob(name: string, createdAt: number): jobsRepo.NewJob {
  return {
    id: newId(),
    kind: 'pipeline',
    owner: 'alice',
    name,
    description: `about ${name}`,
    state: 'pending',
    priority: 0,
    queue: 'default',
    tags: ['t1'],
    definition: { name },
    inputs: {},
    secrets: { token: 's3cret' },
    context: { tasks: {} },
    position: 1,
    taskCount: 1,
    result: null,
    error: null,
    progress: 0,
    parentJobId: null,
    parentTaskId: null,
    scheduledJobId: null,
    createdAt,
    scheduledAt: null,
    startedAt: null,
    completedAt: null,
    failedAt: null,
    cancelledAt: null,
  };
}

/** A task record as the engine would insert it, for store tests. */
export function newTask(jobId: string, overrides: Partial<Task>): Task {
  const now = Date.now();
  return {
    id: newId(),
    jobId,
    parentId: null,
    position: 1,
    siblingIndex: 0,
    kind: 'simple',
    name: 't',
    description: null,
    state: 'pending',
    definition: {},
    runSpec: { steps: [], mounts: [], limits: {}, network: false },
    queue: 'default',
    priority: 0,
    attempt: 1,
    retryLimit: 0,
    nodeId: null,
    backendId: null,
    exitCode: null,
    error: null,
    result: null,
    progress: 0,
    completions: 0,
    size: 0,
    subjobId: null,
    createdAt: now,
    enqueuedAt: now,
    runAfter: 0,
    scheduledAt: null,
    startedAt: null,
    completedAt: null,
    failedAt: null,
    ...overrides,
  };
}
