/**
 * The few calls of RabbitMQ's management HTTP API the AMQP broker needs: the users
 * and permissions of workflows, and the unacknowledged counts of queues (which
 * AMQP itself does not tell).
 */
import { GantryError } from '../core/errors.js';

/** A user's permissions on a vhost: regular expressions over resource names. */
export interface RabbitMqPermissions {
  configure: string;
  write: string;
  read: string;
}

export interface RabbitMqQueueCounts {
  ready: number;
  unacked: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

export class RabbitMqManagement {
  private readonly base: string;
  private readonly authorization: string;

  /**
   * @param url base URL of the API (`http://user:pass@host:15672`); the credentials
   *   are sent as Basic authentication, never in the URL.
   */
  constructor(url: URL) {
    const copy = new URL(url.toString());
    this.authorization = `Basic ${Buffer.from(`${decodeURIComponent(copy.username)}:${decodeURIComponent(copy.password)}`).toString('base64')}`;
    copy.username = '';
    copy.password = '';
    this.base = copy.toString().replace(/\/+$/, '');
  }

  /** The API's URL as errors and logs may name it (no credentials). */
  get displayUrl(): string {
    return this.base;
  }

  /** The tags of the user Gantry signs in as: managing other users needs `administrator`. */
  async ownTags(): Promise<string[]> {
    const body = (await this.request('GET', '/api/whoami')) as { tags?: string | string[] };
    const tags = body.tags ?? [];
    return Array.isArray(tags) ? tags : tags.split(',').filter(Boolean);
  }

  /** Creates the user or sets its password; no tags, so it cannot use the management UI. */
  async putUser(name: string, password: string): Promise<void> {
    await this.request('PUT', `/api/users/${encodeURIComponent(name)}`, { password, tags: '' });
  }

  /** Deletes the user; a user already gone is fine. */
  async deleteUser(name: string): Promise<void> {
    await this.request('DELETE', `/api/users/${encodeURIComponent(name)}`, undefined, [404]);
  }

  async putPermissions(vhost: string, user: string, permissions: RabbitMqPermissions): Promise<void> {
    await this.request('PUT', `/api/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, permissions);
  }

  /** Closes every connection the user has open (deleting a user leaves them open). */
  async closeConnectionsOf(user: string): Promise<void> {
    await this.request('DELETE', `/api/connections/username/${encodeURIComponent(user)}`, undefined, [404]);
  }

  /**
   * Ready and unacknowledged counts of the named queues, from the queue totals the
   * nodes report (quorum queues report them every `quorum_tick_interval`, 5 s by
   * default, so they lag by up to that). Queues that do not exist are left out.
   */
  async queueCounts(vhost: string, names: readonly string[]): Promise<Map<string, RabbitMqQueueCounts>> {
    const pattern = `^(${names.map(escapeRegex).join('|')})$`;
    const query = new URLSearchParams({
      disable_stats: 'true',
      enable_queue_totals: 'true',
      name: pattern,
      use_regex: 'true',
      // The name filter only applies to a paged listing.
      page: '1',
      page_size: String(Math.max(names.length, 1)),
      columns: 'name,messages_ready,messages_unacknowledged',
    });
    const body = (await this.request('GET', `/api/queues/${encodeURIComponent(vhost)}?${query}`)) as {
      items?: Array<{ name: string; messages_ready?: number; messages_unacknowledged?: number }>;
    };
    const counts = new Map<string, RabbitMqQueueCounts>();
    for (const item of body.items ?? []) counts.set(item.name, { ready: item.messages_ready ?? 0, unacked: item.messages_unacknowledged ?? 0 });
    return counts;
  }

  private async request(method: string, path: string, body?: unknown, allowed: number[] = []): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: this.authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new GantryError('unavailable', `the RabbitMQ management API at ${this.base} cannot be reached`, { cause: error });
    }
    const text = await response.text();
    if (response.ok || allowed.includes(response.status)) return text ? (JSON.parse(text) as unknown) : undefined;
    if (response.status === 401 || response.status === 403) {
      throw new GantryError('unavailable', `the RabbitMQ management API at ${this.base} refused Gantry's credentials (${response.status})`);
    }
    throw new GantryError(response.status >= 500 ? 'unavailable' : 'internal', `the RabbitMQ management API at ${this.base} answered ${method} ${path.split('?')[0]} with ${response.status}`, {
      details: { status: response.status },
      cause: new Error(text.slice(0, 500)),
    });
  }
}

/** Escapes a name for RabbitMQ's (PCRE) regular expressions. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
