import { describe, expect, it } from 'vitest';
import { planPlacement, type PlacementInput } from '../../src/scheduler/app-placement.js';

const GiB = 1024 ** 3;
const node = (id: string, cores = 4, memoryBytes = 16 * GiB) => ({ id, cores, memoryBytes });
const queued = (jobId: string, jobOrder: number, cores: number, size = 0, memoryBytes = 0) => ({ jobId, jobOrder, size, essential: { cores, memoryBytes } });
const input = (parts: Partial<PlacementInput>): PlacementInput => ({ nodes: [node('n1')], placed: [], queued: [], waiting: [], policy: 'FIFO', ...parts });

describe('application placement', () => {
  it('admits an execution only when all its essential instances fit on one node', () => {
    const plan = planPlacement(input({ nodes: [node('n1', 2), node('n2', 2)], queued: [queued('a', 1, 3)] }));
    // 3 cores in all on two nodes of 2: they do not fit on one, so nothing of it starts.
    expect(plan).toEqual({ admit: [], preempt: [], startElastic: [], tooBig: ['a'] });
    expect(planPlacement(input({ nodes: [node('n1', 2), node('n2', 4)], queued: [queued('a', 1, 3)] })).admit).toEqual([{ jobId: 'a', nodeId: 'n2' }]);
  });

  it('counts memory as well as cores', () => {
    const plan = planPlacement(input({ queued: [queued('a', 1, 1, 0, 20 * GiB)] }));
    expect(plan.tooBig).toEqual(['a']);
  });

  it('stops at the first execution that does not fit, so a big one is not passed for ever', () => {
    const plan = planPlacement(input({ placed: [{ taskId: 't', jobId: 'x', nodeId: 'n1', essential: true, reservation: { cores: 2, memoryBytes: 0 }, jobOrder: 0, index: 0 }], queued: [queued('big', 1, 3), queued('small', 2, 1)] }));
    expect(plan.admit).toEqual([]);
  });

  it('orders by size under SIZE', () => {
    const plan = planPlacement(input({ policy: 'SIZE', queued: [queued('big', 1, 3, 100), queued('small', 2, 2, 1)] }));
    expect(plan.admit).toEqual([{ jobId: 'small', nodeId: 'n1' }]);
  });

  it('says nothing is too big while no node has joined', () => {
    expect(planPlacement(input({ nodes: [], queued: [queued('a', 1, 1)] }))).toEqual({ admit: [], preempt: [], startElastic: [], tooBig: [] });
  });

  it('stops the newest elastic instances for a queued execution, and starts waiting ones in what is left', () => {
    const elastic = (taskId: string, jobOrder: number, index: number) => ({ taskId, jobId: `j${jobOrder}`, nodeId: 'n1', essential: false, reservation: { cores: 1, memoryBytes: 0 }, jobOrder, index });
    const plan = planPlacement(
      input({
        placed: [
          { taskId: 'e0', jobId: 'j1', nodeId: 'n1', essential: true, reservation: { cores: 1, memoryBytes: 0 }, jobOrder: 1, index: 0 },
          elastic('old', 1, 1),
          elastic('new', 2, 1),
          elastic('newer', 2, 2),
        ],
        queued: [queued('q', 3, 2)],
        waiting: [{ jobId: 'j1', instanceNumId: 9, nodeId: 'n1', reservation: { cores: 1, memoryBytes: 0 }, jobOrder: 1 }],
      }),
    );
    expect(plan.admit).toEqual([{ jobId: 'q', nodeId: 'n1' }]);
    // 4 cores: 1 essential + 2 for q leave 1 for elastic instances: the oldest keeps it.
    expect(plan.preempt).toEqual(['new', 'newer']);
    expect(plan.startElastic).toEqual([]);
  });
});
