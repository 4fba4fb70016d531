import type { IncomingPage, Invitation, Routes, SessionEndpoint, UserEvent } from '../../core/bus.ts';
import type { LocalSessions, Offer } from '../local.ts';
import type { RedisLink } from './link.ts';
import type { NodeMessageHandler, NodeMessages, NodeRequest } from './messages.ts';
import type { RedisNodes } from './nodes.ts';
import { ATTACH, DETACH, LIVE_ROUTES } from './scripts.ts';

interface Route {
  node: string;
  sessionId: string;
}

/**
 * Routes in Redis: a hash per user naming its node and session, and a set per node of its users
 * (for the sweep). A user's session on this node is served here first; one elsewhere through
 * its node's channel.
 */
export class RedisRoutes implements Routes, NodeMessageHandler {
  /** Route lookups waiting for the next LIVE_ROUTES call. */
  private lookups: { handle: string; resolve(route: Route | undefined): void; reject(error: unknown): void }[] = [];

  constructor(
    private readonly link: RedisLink,
    /** The sessions signed in on this node. */
    readonly local: LocalSessions,
    private readonly nodes: RedisNodes,
    private readonly messages: NodeMessages,
  ) {}

  async attach(handle: string, endpoint: SessionEndpoint): Promise<void> {
    // As in one process: whoever holds the slot is kicked first, here or on another node.
    if (!(await this.local.vacate(handle, endpoint))) return;
    this.local.set(handle, endpoint);
    let replaced: [string, string] | null;
    try {
      const { link } = this;
      const keys = [link.key('route', handle), link.onlineKey(link.nodeId)];
      const args = [link.nodeId, endpoint.sessionId, handle, link.aliveKeyPrefix];
      replaced = (await link.guard(link.run(ATTACH, keys, args))) as [string, string] | null;
    } catch (error) {
      this.local.drop(handle, endpoint);
      throw error;
    }
    // Its route is already this session's: the kicked one's DETACH leaves it alone (another session id).
    if (replaced) await this.messages.request(replaced[0], handle, { kind: 'kick', sessionId: replaced[1] });
  }

  async detach(handle: string, sessionId: string): Promise<void> {
    const current = this.local.release(handle, sessionId);
    const { redis, nodeId } = this.link;
    await this.link.guard(
      this.link.run(DETACH, [this.link.key('route', handle), this.link.onlineKey(nodeId)], [sessionId, handle, current ? '1' : '0']),
    );
  }

  publish(handle: string, event: UserEvent): void {
    if (this.local.deliver(handle, event)) return;
    // Requests on one connection are answered in order, so events to one user keep their order.
    void this.route(handle)
      .then((route) => route && this.messages.event(route.node, handle, event))
      .catch(() => {});
  }

  ring(handle: string, invitation: Invitation): Promise<boolean> {
    return this.offer(handle, { kind: 'ring', invitation });
  }

  page(handle: string, page: IncomingPage): Promise<boolean> {
    return this.offer(handle, { kind: 'page', page });
  }

  async isSignedIn(handle: string): Promise<boolean> {
    return this.local.has(handle) || (await this.route(handle)) !== undefined;
  }

  async end(handle: string): Promise<boolean> {
    const here = this.local.get(handle);
    if (here) return this.local.kick(handle, here.sessionId);
    const route = await this.route(handle);
    return route ? this.messages.request(route.node, handle, { kind: 'kick', sessionId: route.sessionId }) : false;
  }

  /** The users of the nodes alive now: a node that died without signing its users out counts no more. */
  async onlineCount(): Promise<number> {
    let count = 0;
    for (const { node } of await this.nodes.alive()) count += await this.link.guard(this.link.redis.scard(this.link.onlineKey(node)));
    return count;
  }

  endpoints(): SessionEndpoint[] {
    return this.local.all();
  }

  /** An event another node sent for a session here. */
  deliver(handle: string, event: UserEvent): void {
    this.local.deliver(handle, event);
  }

  /** A request of another node for a session here. */
  async answer(handle: string, request: NodeRequest): Promise<boolean> {
    if (request.kind === 'kick') return this.local.kick(handle, request.sessionId);
    return (await this.local.offer(handle, request)) ?? false;
  }

  private async offer(handle: string, offer: Offer): Promise<boolean> {
    const here = this.local.offer(handle, offer);
    if (here) return here;
    const route = await this.route(handle);
    return route ? this.messages.request(route.node, handle, offer) : false;
  }

  /** A user's live route. Lookups asked for in one run of the event loop go to Redis as one call. */
  private route(handle: string): Promise<Route | undefined> {
    return new Promise((resolve, reject) => {
      if (this.lookups.push({ handle, resolve, reject }) === 1) queueMicrotask(() => void this.lookUp());
    });
  }

  private async lookUp(): Promise<void> {
    const batch = this.lookups.splice(0);
    try {
      const keys = batch.map((lookup) => this.link.key('route', lookup.handle));
      const found = (await this.link.guard(this.link.run(LIVE_ROUTES, keys, [this.link.aliveKeyPrefix]))) as ([string, string] | null)[];
      batch.forEach((lookup, i) => {
        const route = found[i];
        lookup.resolve(route ? { node: route[0], sessionId: route[1] } : undefined);
      });
    } catch (error) {
      for (const lookup of batch) lookup.reject(error);
    }
  }
}
