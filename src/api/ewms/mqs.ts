import type { FastifyInstance } from 'fastify';
import type { Core } from '../../gantry.js';
import { principalOf, queueRoute } from '../auth/route-auth.js';
import { ackBody, consumeBody, ewmsBody, nackBody, publishBody } from './bodies.js';

type WorkflowParams = { Params: { workflow_id: string } };
type QueueParams = { Params: { mqid: string } };

/**
 * The workflows' message queues: EWMS MQS's profile route, and Gantry's own
 * routes to publish to, consume from, ack and nack a queue (docs/ewms.md).
 * They take a user's credential (the workflow's owner reaches its public
 * queues) or the workflow's queue token (its pilots reach all of them).
 */
export function registerQueueRoutes(app: FastifyInstance, core: Core, visibilitySeconds: number): void {
  app.get<WorkflowParams>('/v1/mqs/workflows/:workflow_id/mq-profiles/public', queueRoute('ewms'), async (request) => ({
    mqprofiles: await core.queues.publicProfiles(principalOf(request), request.params.workflow_id),
  }));

  app.get<QueueParams>('/v1/mqs/queues/:mqid', queueRoute('ewms'), async (request) => {
    const depth = await core.queues.depth(principalOf(request), request.params.mqid);
    return { mqid: request.params.mqid, ...depth };
  });

  app.post<QueueParams>('/v1/mqs/queues/:mqid/messages', queueRoute('ewms'), async (request) => {
    const body = ewmsBody(request.body, publishBody);
    return { published: await core.queues.publish(principalOf(request), request.params.mqid, body.messages) };
  });

  app.post<QueueParams>('/v1/mqs/queues/:mqid/actions/consume', queueRoute('ewms'), async (request) => {
    const body = ewmsBody(request.body, consumeBody);
    const messages = await core.queues.consume(principalOf(request), request.params.mqid, {
      max: body.max_messages ?? 1,
      visibilityMs: (body.visibility_timeout ?? visibilitySeconds) * 1000,
      waitMs: (body.wait ?? 0) * 1000,
      ...(body.consumer ? { consumer: body.consumer } : {}),
    });
    return { messages };
  });

  app.post<QueueParams>('/v1/mqs/queues/:mqid/actions/ack', queueRoute('ewms'), async (request) => {
    const body = ewmsBody(request.body, ackBody);
    return { acked: await core.queues.ack(principalOf(request), request.params.mqid, body.ack_ids) };
  });

  app.post<QueueParams>('/v1/mqs/queues/:mqid/actions/nack', queueRoute('ewms'), async (request) => {
    const body = ewmsBody(request.body, nackBody);
    return { released: await core.queues.nack(principalOf(request), request.params.mqid, body.ack_ids, (body.delay ?? 0) * 1000) };
  });
}
