import { deadLetterQueueOf, type BrokerAccess, type MessageBroker, type QueueDepth } from '../../broker/broker.js';
import { GantryError } from '../../core/errors.js';
import { actsOnEverything, seesEverything, type Principal } from '../../core/identity.js';
import * as mqQueuesRepo from '../../store/mq-queues-repo.js';
import type { Store } from '../../store/open.js';
import * as workflowsRepo from '../../store/workflows-repo.js';

/** EWMS MQS's profile of one queue: what a client needs to connect to it. */
export interface MqProfile {
  mqid: string;
  workflow_id: string;
  alias: string;
  is_public: boolean;
  is_activated: boolean;
  auth_token: string;
  broker_type: string;
  broker_address: string;
}

/** A message as the queue routes hand it out: its JSON value, and what acks it. */
export interface QueueMessage {
  ack_id: string;
  message: unknown;
  deliveries: number;
}

export interface ConsumeRequest {
  max: number;
  visibilityMs: number;
  waitMs: number;
  consumer?: string;
}

/** Most messages in one publish or one consume. */
export const MAX_BATCH = 1_000;

/**
 * The workflows' message queues as their users and pilots use them: who may
 * reach which queue (a workflow's owner its public queues, its pilots every
 * queue of theirs, admins all), and the moves on them through the broker.
 */
export class QueueService {
  /** Each workflow's access once its queues are made: asked for again on every profile, it need not be made again. */
  private readonly accesses = new Map<string, BrokerAccess>();

  constructor(
    private readonly store: Store,
    private readonly broker: MessageBroker,
  ) {}

  get brokerType(): string {
    return this.broker.type;
  }

  /** Profiles of the workflow's queues (all, or those in `queueIds`), with the workflow's credential once activated. */
  async profilesOf(workflowId: string, queueIds?: readonly string[]): Promise<MqProfile[]> {
    const all = await mqQueuesRepo.ofWorkflow(this.store.db, workflowId);
    const activated = all.length > 0 && all.every((queue) => queue.activatedAt !== null && queue.closedAt === null);
    // The credential covers every queue of the workflow, whichever profiles are asked for.
    const access = activated ? await this.accessOf(workflowId, all) : undefined;
    const queues = all.filter((queue) => !queueIds || queueIds.includes(queue.queueId));
    return queues.map((queue) => ({
      mqid: queue.queueId,
      workflow_id: workflowId,
      alias: queue.alias,
      is_public: queue.isPublic,
      is_activated: queue.activatedAt !== null,
      auth_token: access?.authToken ?? '',
      broker_type: access?.brokerType ?? this.broker.type,
      broker_address: access?.brokerAddress ?? '',
    }));
  }

  /** The public queues' profiles, for the workflow's owner (EWMS MQS's GET …/mq-profiles/public). */
  async publicProfiles(principal: Principal, workflowId: string): Promise<MqProfile[]> {
    await this.ownWorkflow(principal, workflowId);
    return (await this.profilesOf(workflowId)).filter((profile) => profile.is_public);
  }

  /** Makes the workflow's queues in the broker (idempotent): from then on its profiles are activated. */
  async activate(workflowId: string): Promise<void> {
    const queues = await mqQueuesRepo.ofWorkflow(this.store.db, workflowId);
    this.accesses.set(workflowId, await this.broker.activate(workflowId, queues.map((queue) => queue.queueId)));
    await mqQueuesRepo.activateOfWorkflow(this.store.db, workflowId, Date.now());
  }

  /** The workflow ended: its credential with the broker is withdrawn (its queues and messages stay). */
  async deactivate(workflowId: string): Promise<void> {
    this.accesses.delete(workflowId);
    await this.broker.deactivate(workflowId);
  }

  private async accessOf(workflowId: string, queues: readonly mqQueuesRepo.WorkflowQueue[]): Promise<BrokerAccess> {
    const known = this.accesses.get(workflowId);
    if (known) return known;
    const access = await this.broker.activate(workflowId, queues.map((queue) => queue.queueId));
    this.accesses.set(workflowId, access);
    return access;
  }

  async publish(principal: Principal, queueId: string, messages: readonly unknown[]): Promise<number> {
    const queue = await this.reachable(principal, queueId, 'act');
    if (queue.closedAt !== null) throw new GantryError('conflict', `queue ${queueId} takes no more messages: its workflow (${queue.workflowId}) is deactivated`);
    // Published to before the taskforce manager came round to it: made now (activation is idempotent).
    if (queue.activatedAt === null) await this.activate(queue.workflowId);
    await this.broker.publish(queueId, messages.map((message) => JSON.stringify(message)));
    return messages.length;
  }

  async consume(principal: Principal, queueId: string, request: ConsumeRequest): Promise<QueueMessage[]> {
    const queue = await this.reachableOrDeadLetters(principal, queueId, 'act');
    if (queue.activatedAt === null) return [];
    const delivered = await this.broker.consume(queueId, request);
    return delivered.map((message) => ({ ack_id: message.ackId, message: parseBody(message.body), deliveries: message.deliveries }));
  }

  async ack(principal: Principal, queueId: string, ackIds: readonly string[]): Promise<number> {
    await this.reachableOrDeadLetters(principal, queueId, 'act');
    return this.broker.ack(queueId, ackIds);
  }

  async nack(principal: Principal, queueId: string, ackIds: readonly string[], delayMs: number): Promise<number> {
    await this.reachableOrDeadLetters(principal, queueId, 'act');
    return this.broker.nack(queueId, ackIds, delayMs);
  }

  /** Gives back at once the events a pilot that ended still held, so that others take them now rather than after the lease. */
  async releasePilot(queueIds: readonly string[], pilotId: string): Promise<number> {
    return (await this.broker.releaseConsumer?.(queueIds, pilotId)) ?? 0;
  }

  async depth(principal: Principal, queueId: string): Promise<QueueDepth> {
    await this.reachableOrDeadLetters(principal, queueId, 'read');
    return this.broker.depth(queueId);
  }

  /** A queue's dead-letter queue can be read and acked like the queue itself. */
  private async reachableOrDeadLetters(principal: Principal, queueId: string, mode: 'read' | 'act'): Promise<mqQueuesRepo.WorkflowQueue> {
    const main = queueId.endsWith('.dead') ? queueId.slice(0, -'.dead'.length) : queueId;
    const queue = await this.reachable(principal, main, mode);
    return main === queueId ? queue : { ...queue, queueId: deadLetterQueueOf(main) };
  }

  /**
   * The queue, if this principal may see it: its workflow's owner sees its public
   * queues, support and admins all, pilots (queue tokens) their workflow's.
   * Changing one (`act`) is for the owner, admins and pilots.
   */
  private async reachable(principal: Principal, queueId: string, mode: 'read' | 'act'): Promise<mqQueuesRepo.WorkflowQueue> {
    const queue = await mqQueuesRepo.get(this.store.db, queueId);
    const missing = new GantryError('not_found', `no queue found with id: ${queueId}`);
    if (!queue) throw missing;
    if (principal.via === 'queue-token') {
      if (principal.workflowId !== queue.workflowId) throw missing;
      return queue;
    }
    const workflow = await workflowsRepo.getWorkflow(this.store.db, queue.workflowId);
    const mine = workflow?.ownerId === principal.username;
    if (!seesEverything(principal) && !(mine && queue.isPublic)) throw missing;
    if (mode === 'act' && !mine && !actsOnEverything(principal)) throw new GantryError('forbidden', "only the workflow's owner or an admin may use its queues");
    return queue;
  }

  private async ownWorkflow(principal: Principal, workflowId: string): Promise<void> {
    const workflow = await workflowsRepo.getWorkflow(this.store.db, workflowId);
    const visible = workflow && (seesEverything(principal) || workflow.ownerId === principal.username || (principal.via === 'queue-token' && principal.workflowId === workflowId));
    if (!visible) throw new GantryError('not_found', `no workflow found with id: ${workflowId}`);
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    // Published straight to the broker by a client of its own: not JSON, so handed out as text.
    return body;
  }
}
