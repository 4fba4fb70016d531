import type { IncomingPage, Invitation, OfflineNotice, Routes, SessionEndpoint, UserEvent, WebLogin } from '../../core/bus.ts';
import type { LocalSessions, Offer } from '../local.ts';
import type { RedisLink } from './link.ts';
import type { NodeMessageHandler, NodeMessages, NodeRequest } from './messages.ts';
import type { RedisNodes } from './nodes.ts';
import type { RedisWebSessions } from './web-sessions.ts';
import { ATTACH, DELIVER, LEAVE } from './scripts.ts';

interface Route {
  node: string;
  sessionId: string;
}

/** An event for a user on another node, or a lookup of its route; both wait for the next DELIVER call. */
interface Pending {
  handle: string;
  event?: UserEvent;
  resolve?(route: Route | undefined): void;
  reject?(error: unknown): void;
}

/**
 * Routes in Redis: a hash per user naming its node and session, and a set per node of its users
 * (for the sweep). A user's session on this node is served here first; one elsewhere through
 * its node's channel.
 */
export class RedisRoutes implements Routes, NodeMessageHandler {
  /** Deliveries and lookups asked for in this run of the event loop: one DELIVER call. */
  private pending: Pending[] = [];

  constructor(
    private readonly link: RedisLink,
    /** The sessions signed in on this node. */
    readonly local: LocalSessions,
    private readonly nodes: RedisNodes,
    private readonly messages: NodeMessages,
    private readonly webSessions: RedisWebSessions,
  ) {}

  async attach(handle: string, endpoint: SessionEndpoint, web?: WebLogin): Promise<void> {
    // As in one process: whoever holds the slot is kicked first, here or on another node.
    if (!(await this.local.vacate(handle, endpoint))) return;
    this.local.set(handle, endpoint);
    const { link } = this;
    const { sessionId } = endpoint;
    const keys = [link.key('route', handle), link.onlineKey(link.nodeId)];
    const args = [link.nodeId, sessionId, handle, link.aliveKeyPrefix];
    if (web) {
      const written = this.webSessions.adopt(web.mspAuth, { handle, loginTime: web.loginTime, sessionId });
      keys.push(...written.keys);
      args.push(...written.args);
    }
    let replaced: [string, string] | null;
    try {
      replaced = (await link.guard(link.run(ATTACH, keys, args))) as [string, string] | null;
    } catch (error) {
      this.local.drop(handle, endpoint);
      if (web) this.webSessions.release(web.mspAuth);
      throw error;
    }
    // Its route is already this session's: the kicked one's LEAVE leaves it alone (another session id).
    if (replaced) await this.messages.request(replaced[0], handle, { kind: 'kick', sessionId: replaced[1] });
  }

  detach(handle: string, sessionId: string, mspAuth?: string): Promise<void> {
    return this.leave(handle, sessionId, mspAuth);
  }

  /**
   * Bus.leave (and, without `offline`, detach): one LEAVE call, which tells the watchers on other
   * nodes; those here are told once it has given the seq.
   */
  async leave(handle: string, sessionId: string, mspAuth: string | undefined, offline?: OfflineNotice): Promise<void> {
    const current = this.local.release(handle, sessionId);
    const { link, local } = this;
    const keys = [link.key('route', handle), link.onlineKey(link.nodeId), link.key('presence', handle)];
    const args = [
      sessionId,
      handle,
      current ? '1' : '0',
      offline ? '1' : '0',
      link.aliveKeyPrefix,
      link.nodeChannel(''),
      link.key('route'),
      mspAuth === undefined ? '0' : '1',
    ];
    if (mspAuth !== undefined) {
      keys.push(...this.webSessions.release(mspAuth));
      args.push(mspAuth);
    }
    const here: string[] = [];
    for (const watcher of offline?.watchers ?? []) {
      if (local.has(watcher)) here.push(watcher);
      else keys.push(link.key('route', watcher));
    }
    // Events queued before this step reach Redis before it (it runs one connection's calls in order).
    if (this.pending.length > 0) void this.deliverAll();
    const seq = Number(await link.guard(link.run(LEAVE, keys, args)));
    if (!offline) return;
    const event: UserEvent = { kind: 'presence', contact: handle, seq, shown: null };
    // A watcher here that has moved meanwhile is looked up as any other publish.
    for (const watcher of here) this.publish(watcher, event);
  }

  publish(handle: string, event: UserEvent): void {
    if (this.local.deliver(handle, event)) return;
    // At most once: lost with a failed call (the node recovers then, and tells presence again).
    this.queue({ handle, event });
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

  /** A user's live route. */
  private route(handle: string): Promise<Route | undefined> {
    return new Promise((resolve, reject) => this.queue({ handle, resolve, reject }));
  }

  private queue(entry: Pending): void {
    if (this.pending.push(entry) === 1) queueMicrotask(() => void this.deliverAll());
  }

  /**
   * One DELIVER call for the batch: Redis runs the calls of one connection in order, so events to
   * one user keep their order, and an event goes before a request sent after it.
   */
  private async deliverAll(): Promise<void> {
    const batch = this.pending.splice(0);
    // Sent already (leave sends what was queued before it).
    if (batch.length === 0) return;
    // An event shared by several users (a fan-out's) is encoded once.
    const numbers = new Map<UserEvent, number>();
    const events: string[] = [];
    const eventOf = batch.map(({ event }) => {
      if (!event) return 0;
      let number = numbers.get(event);
      if (number === undefined) {
        number = events.push(JSON.stringify(event));
        numbers.set(event, number);
      }
      return number;
    });
    const { link } = this;
    try {
      const keys = batch.map((entry) => link.key('route', entry.handle));
      const args = [link.aliveKeyPrefix, link.nodeChannel(''), link.key('route'), events.length, ...events, ...eventOf];
      const found = (await link.guard(link.run(DELIVER, keys, args))) as ([string, string] | null)[];
      batch.forEach((entry, i) => {
        const route = found[i];
        entry.resolve?.(route ? { node: route[0], sessionId: route[1] } : undefined);
      });
    } catch (error) {
      for (const entry of batch) entry.reject?.(error);
    }
  }
}
