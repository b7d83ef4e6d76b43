/**
 * Where the application scheduler puts executions, as a pure function of what
 * it knows: nodes with their capacity, the instances running, the queue.
 *
 * - Gang: an execution starts only when all its essential instances fit on one
 *   node at once (they share that node's private network).
 * - Policy: FIFO (submission order) or SIZE (smallest `size` first, Zoe's
 *   size-based policy). The first execution that does not fit stops the pass,
 *   so a large one is not starved by smaller ones behind it.
 * - Elastic instances yield: essential instances are placed as if no elastic
 *   one ran; elastic instances then keep or get what is left, older executions
 *   first, and those that no longer fit are stopped (newest first).
 */
import type { Reservation } from '../core/app.js';

export type AppPolicy = 'FIFO' | 'SIZE';

export interface PlacementNode {
  id: string;
  cores: number;
  memoryBytes: number;
}

export interface PlacedInstance {
  taskId: string;
  jobId: string;
  nodeId: string;
  essential: boolean;
  reservation: Reservation;
  /** Submission order of its execution (its numeric id). */
  jobOrder: number;
  index: number;
}

export interface QueuedExecution {
  jobId: string;
  jobOrder: number;
  size: number;
  essential: Reservation;
}

export interface WaitingInstance {
  jobId: string;
  instanceNumId: number;
  nodeId: string;
  reservation: Reservation;
  jobOrder: number;
}

export interface PlacementInput {
  nodes: readonly PlacementNode[];
  placed: readonly PlacedInstance[];
  queued: readonly QueuedExecution[];
  waiting: readonly WaitingInstance[];
  policy: AppPolicy;
}

export interface PlacementPlan {
  admit: Array<{ jobId: string; nodeId: string }>;
  /** Running elastic instances (task ids) to stop for room. */
  preempt: string[];
  startElastic: Array<{ jobId: string; instanceNumId: number; nodeId: string }>;
  /** Queued executions none of the nodes could ever hold (never said while there are no nodes). */
  tooBig: string[];
}

interface Room {
  cores: number;
  memoryBytes: number;
}

const fits = (need: Reservation, room: Room): boolean => need.cores <= room.cores + 1e-9 && need.memoryBytes <= room.memoryBytes;
const take = (room: Room, need: Reservation): void => {
  room.cores -= need.cores;
  room.memoryBytes -= need.memoryBytes;
};

export function orderQueue(queued: readonly QueuedExecution[], policy: AppPolicy): QueuedExecution[] {
  const order = [...queued];
  if (policy === 'SIZE') order.sort((a, b) => a.size - b.size || a.jobOrder - b.jobOrder);
  else order.sort((a, b) => a.jobOrder - b.jobOrder);
  return order;
}

export function planPlacement(input: PlacementInput): PlacementPlan {
  const plan: PlacementPlan = { admit: [], preempt: [], startElastic: [], tooBig: [] };
  const essentialRoom = new Map<string, Room>(input.nodes.map((node) => [node.id, { cores: node.cores, memoryBytes: node.memoryBytes }]));
  for (const instance of input.placed) {
    const room = essentialRoom.get(instance.nodeId);
    if (room && instance.essential) take(room, instance.reservation);
  }
  for (const execution of orderQueue(input.queued, input.policy)) {
    // With no node at all (none has joined yet, after a restart) nothing is too big: it waits.
    if (input.nodes.length > 0 && !input.nodes.some((node) => fits(execution.essential, node))) {
      plan.tooBig.push(execution.jobId);
      continue;
    }
    let best: { id: string; room: Room } | undefined;
    for (const [id, room] of essentialRoom) {
      if (fits(execution.essential, room) && (!best || room.cores > best.room.cores || (room.cores === best.room.cores && room.memoryBytes > best.room.memoryBytes))) best = { id, room };
    }
    if (!best) break;
    take(best.room, execution.essential);
    plan.admit.push({ jobId: execution.jobId, nodeId: best.id });
  }
  // What is left on each node after every essential instance is what elastic instances may use.
  const elasticRoom = essentialRoom;
  const running = input.placed.filter((instance) => !instance.essential).sort((a, b) => a.jobOrder - b.jobOrder || a.index - b.index);
  for (const instance of running) {
    const room = elasticRoom.get(instance.nodeId);
    if (room && fits(instance.reservation, room)) take(room, instance.reservation);
    else plan.preempt.push(instance.taskId);
  }
  const waiting = [...input.waiting].sort((a, b) => a.jobOrder - b.jobOrder || a.instanceNumId - b.instanceNumId);
  for (const instance of waiting) {
    const room = elasticRoom.get(instance.nodeId);
    if (!room || !fits(instance.reservation, room)) continue;
    take(room, instance.reservation);
    plan.startElastic.push({ jobId: instance.jobId, instanceNumId: instance.instanceNumId, nodeId: instance.nodeId });
  }
  return plan;
}
