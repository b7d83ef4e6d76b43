import { createHmac } from 'node:crypto';
import { sameSecret } from '../identity/secrets.js';

const PREFIX = 'gmq';

/**
 * The credential of one workflow's queues on Gantry's own routes (what its pilots
 * and its mq profiles carry): the workflow id signed with the installation's key,
 * so nothing needs storing, and it names no user.
 */
export class QueueTokens {
  constructor(private readonly key: string) {}

  tokenOf(workflowId: string): string {
    return `${PREFIX}.${Buffer.from(workflowId).toString('base64url')}.${this.mac(workflowId)}`;
  }

  /** The workflow a token was made for, or undefined when it is not one of this installation's. */
  workflowOf(token: string): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
    const workflowId = Buffer.from(parts[1]!, 'base64url').toString();
    return sameSecret(this.mac(workflowId), parts[2]!) ? workflowId : undefined;
  }

  static looksLikeOne(token: string): boolean {
    return token.startsWith(`${PREFIX}.`);
  }

  private mac(workflowId: string): string {
    return createHmac('sha256', this.key).update(`queues:${workflowId}`).digest('base64url');
  }
}
