// The bus of a cluster (DESIGN.md "Cluster mode"): Redis holds which node has each signed-in user,
// presence records, web sessions and one-use tokens; each node listens on a channel of its own,
// and node-wide signals go over one shared channel. Everything here may be lost and rebuilt:
// PostgreSQL (or the shared SQLite file) stays the only system of record.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type {
  Bus,
  IncomingPage,
  Invitation,
  PresenceRecord,
  RateCounter,
  SessionEndpoint,
  Shown,
  Signal,
  TokenStore,
  UserEvent,
  WebSession,
} from '../core/bus.ts';
import { newCookie } from './memory.ts';

export interface RedisBusOptions {
  /** redis:// URL. */
  url: string;
  /** Prefix of every key and channel, so that several services can share one Redis. */
  prefix?: string;
  /** How long a request to another node (kick, ring, page) may take before it counts as refused. */
  requestTimeoutMs?: number;
  /** How often this node says it is alive; a node silent for three periods counts as gone. */
  heartbeatMs?: number;
  /** Connection errors (Redis reconnects by itself meanwhile). */
  onError?: (error: Error) => void;
}

type NodeRequest = { kind: 'kick'; sessionId: string } | { kind: 'ring'; invitation: Invitation } | { kind: 'page'; page: IncomingPage };

type NodeMessage =
  | { kind: 'event'; handle: string; event: UserEvent }
  | { kind: 'request'; id: string; from: string; handle: string; request: NodeRequest }
  | { kind: 'reply'; id: string; value: boolean };

/** What a node tells the others with its heartbeat. */
interface NodeInfo {
  /** Where its NS listens; undefined until announced. */
  ns?: string;
  /** Its number of signed-in users. */
  load: number;
}

interface Route {
  node: string;
  sessionId: string;
}

// The route of a user, but only while its node is alive (KEYS[1] route, ARGV[1] alive-key prefix).
const LIVE_ROUTE = `
local route = redis.call('hmget', KEYS[1], 'node', 'session')
if not route[1] then return nil end
if redis.call('exists', ARGV[1] .. route[1]) == 0 then return nil end
return route`;

// A presence change (KEYS[1] record; ARGV status and name, '' for none). A record that does not
// exist, or no longer does because Redis lost its data, starts its seq at Redis's clock in
// milliseconds: later than every seq it had before, so that sessions which saw those do not take
// the new events for stale ones (a user changes status far less often than once a millisecond).
const SET_PRESENCE = `
local seq
if redis.call('hexists', KEYS[1], 'seq') == 0 then
  local now = redis.call('time')
  seq = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  redis.call('hset', KEYS[1], 'seq', seq)
else
  seq = redis.call('hincrby', KEYS[1], 'seq', 1)
end
if ARGV[1] == '' then
  redis.call('hdel', KEYS[1], 'status', 'name')
else
  redis.call('hset', KEYS[1], 'status', ARGV[1], 'name', ARGV[2])
end
return seq`;

// Forgets the route only if it is still this session's (KEYS[1] route), and the user from this
// node's online set (KEYS[2]) if the session was this node's current one (ARGV[3] = '1').
const DETACH = `
if redis.call('hget', KEYS[1], 'session') == ARGV[1] then redis.call('del', KEYS[1]) end
if ARGV[3] == '1' then redis.call('srem', KEYS[2], ARGV[2]) end
return 0`;

/** One-use tokens in Redis: SET with an expiry, taken with GETDEL (so only one consumer wins). */
class RedisTokens implements TokenStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async issue(purpose: string, data: Record<string, string>, ttlMs: number): Promise<string> {
    const token = newCookie();
    await this.redis.set(this.key(purpose, token), JSON.stringify(data), 'PX', ttlMs);
    return token;
  }

  async consume(purpose: string, token: string): Promise<Record<string, string> | undefined> {
    const value = await this.redis.getdel(this.key(purpose, token));
    return value === null ? undefined : (JSON.parse(value) as Record<string, string>);
  }

  /** The purpose is part of the key: a token of one kind never spends one of another. */
  private key(purpose: string, token: string): string {
    return `${this.prefix}token:${purpose}:${token}`;
  }
}

/** Rates in Redis: a sorted set of event times per key, trimmed to the window (all nodes count). */
class RedisRates implements RateCounter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async count(key: string, windowMs: number): Promise<number> {
    const results = await this.redis
      .multi()
      .zremrangebyscore(this.key(key), 0, Date.now() - windowMs)
      .zcard(this.key(key))
      .exec();
    return Number(results?.[1]?.[1] ?? 0);
  }

  async add(key: string, windowMs: number): Promise<void> {
    const now = Date.now();
    const event = `${now}-${randomBytes(4).toString('hex')}`;
    await this.redis.multi().zadd(this.key(key), now, event).pexpire(this.key(key), windowMs).exec();
  }

  private key(key: string): string {
    return `${this.prefix}rate:${key}`;
  }
}

export class RedisBus implements Bus {
  readonly tokens: TokenStore;
  readonly rates: RateCounter;
  readonly nodeId = randomBytes(8).toString('hex');
  private readonly sessions = new Map<string, SessionEndpoint>();
  private readonly signalListeners: ((signal: Signal) => void)[] = [];
  private readonly pending = new Map<string, (value: boolean) => void>();
  private readonly prefix: string;
  private readonly requestTimeoutMs: number;
  private readonly heartbeatMs: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  private nsAddress: string | undefined;

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    opts: RedisBusOptions,
  ) {
    this.prefix = opts.prefix ?? 'msnd:';
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.heartbeatMs = opts.heartbeatMs ?? 5000;
    this.tokens = new RedisTokens(redis, this.prefix);
    this.rates = new RedisRates(redis, this.prefix);
  }

  /** Connects, subscribes to this node's channel and the signal channel, and starts the heartbeat. */
  static async connect(opts: RedisBusOptions): Promise<RedisBus> {
    const onError = opts.onError ?? (() => {});
    const redis = new Redis(opts.url, { lazyConnect: true });
    const subscriber = new Redis(opts.url, { lazyConnect: true });
    for (const connection of [redis, subscriber]) connection.on('error', onError);
    const bus = new RedisBus(redis, subscriber, opts);
    try {
      await Promise.all([redis.connect(), subscriber.connect()]);
      await bus.beat();
      subscriber.on('message', (channel: string, message: string) => bus.receive(channel, message));
      await subscriber.subscribe(bus.nodeChannel(bus.nodeId), bus.signalChannel());
    } catch (error) {
      redis.disconnect();
      subscriber.disconnect();
      throw error;
    }
    bus.heartbeat = setInterval(() => void bus.beat().catch(onError), bus.heartbeatMs);
    bus.heartbeat.unref();
    // A Redis that restarted has forgotten this node's users: tell it again (DESIGN.md "Cluster mode").
    redis.on('ready', () => void bus.recover().catch(onError));
    return bus;
  }

  /** After a reconnect: this node's routes again, then each of its users' presence to its watchers. */
  async recover(): Promise<void> {
    await this.restoreRoutes();
    await Promise.all([...this.sessions.values()].map((session) => session.republishPresence()));
  }

  /** Writes this node's heartbeat and the route of each of its signed-in users again. */
  async restoreRoutes(): Promise<void> {
    if (this.closed) return;
    await this.beat();
    const writes = this.redis.multi();
    for (const [handle, session] of this.sessions) {
      writes.hset(this.key('route', handle), { node: this.nodeId, session: session.sessionId }).sadd(this.onlineKey(this.nodeId), handle);
    }
    await writes.exec();
  }

  async attach(handle: string, endpoint: SessionEndpoint): Promise<void> {
    // As in one process: whoever holds the slot is kicked first, here or on another node.
    for (let previous = this.sessions.get(handle); previous; previous = this.sessions.get(handle)) {
      if (previous.sessionId === endpoint.sessionId) return;
      await previous.kick('OTH');
      if (this.sessions.get(handle) === previous) this.sessions.delete(handle);
    }
    const route = await this.route(handle);
    if (route && route.node !== this.nodeId) await this.request(route.node, handle, { kind: 'kick', sessionId: route.sessionId });
    this.sessions.set(handle, endpoint);
    await this.redis
      .multi()
      .hset(this.key('route', handle), { node: this.nodeId, session: endpoint.sessionId })
      .sadd(this.onlineKey(this.nodeId), handle)
      .exec();
  }

  async detach(handle: string, sessionId: string): Promise<void> {
    const current = this.sessions.get(handle)?.sessionId === sessionId;
    if (current) this.sessions.delete(handle);
    await this.redis.eval(DETACH, 2, this.key('route', handle), this.onlineKey(this.nodeId), sessionId, handle, current ? '1' : '0');
  }

  publish(handle: string, event: UserEvent): void {
    const local = this.sessions.get(handle);
    if (local) return local.deliver(event);
    // Requests on one connection are answered in order, so events to one user keep their order.
    void this.route(handle)
      .then((route) => route && this.send(route.node, { kind: 'event', handle, event }))
      .catch(() => {});
  }

  async ring(handle: string, invitation: Invitation): Promise<boolean> {
    const local = this.sessions.get(handle);
    if (local) return local.ring(invitation);
    const route = await this.route(handle);
    return route ? this.request(route.node, handle, { kind: 'ring', invitation }) : false;
  }

  async page(handle: string, page: IncomingPage): Promise<boolean> {
    const local = this.sessions.get(handle);
    if (local) return local.page(page);
    const route = await this.route(handle);
    return route ? this.request(route.node, handle, { kind: 'page', page }) : false;
  }

  async isSignedIn(handle: string): Promise<boolean> {
    return this.sessions.has(handle) || (await this.route(handle)) !== undefined;
  }

  signal(signal: Signal): void {
    for (const listener of this.signalListeners) listener(signal);
    void this.redis.publish(this.signalChannel(), JSON.stringify({ from: this.nodeId, signal })).catch(() => {});
  }

  onSignal(listener: (signal: Signal) => void): void {
    this.signalListeners.push(listener);
  }

  async setPresence(handle: string, shown: Shown | null): Promise<number> {
    // The record outlives the session so that seq keeps growing across sign-ins (as in one process).
    const seq = await this.redis.eval(SET_PRESENCE, 1, this.key('presence', handle), shown?.status ?? '', shown?.name ?? '');
    return Number(seq);
  }

  async presenceOf(handles: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const found = new Map<string, PresenceRecord>();
    if (handles.length === 0) return found;
    const reads = this.redis.pipeline();
    for (const handle of handles) reads.hgetall(this.key('presence', handle));
    const results = (await reads.exec()) ?? [];
    handles.forEach((handle, i) => {
      const fields = results[i]?.[1] as Record<string, string> | undefined;
      if (!fields?.seq) return;
      const shown = fields.status ? { status: fields.status as Shown['status'], name: fields.name ?? '' } : null;
      found.set(handle, { seq: Number(fields.seq), shown });
    });
    return found;
  }

  /** The users of the nodes alive now: a node that died without signing its users out counts no more. */
  async onlineCount(): Promise<number> {
    let count = 0;
    for (const { node } of await this.aliveNodes()) count += await this.redis.scard(this.onlineKey(node));
    return count;
  }

  async registerWebSession(mspAuth: string, session: WebSession): Promise<void> {
    await this.redis.set(this.key('web', mspAuth), JSON.stringify({ ...session, node: this.nodeId }));
  }

  async forgetWebSession(mspAuth: string): Promise<void> {
    await this.redis.del(this.key('web', mspAuth));
  }

  /** Valid while its NS session lasts: not after its node is gone without signing it out. */
  async webSession(mspAuth: string): Promise<WebSession | undefined> {
    const value = await this.redis.get(this.key('web', mspAuth));
    if (value === null) return undefined;
    const { node, ...session } = JSON.parse(value) as WebSession & { node: string };
    return (await this.redis.exists(this.aliveKey(node))) === 1 ? session : undefined;
  }

  endpoints(): SessionEndpoint[] {
    return [...this.sessions.values()];
  }

  announceNotificationServer(address: string): void {
    this.nsAddress = address;
    void this.beat().catch(() => {});
  }

  /**
   * The node with the fewest users among those alive (DESIGN.md "Cluster mode"). Loads are as of
   * each node's last heartbeat, so a burst of logins within one period goes to the same node.
   */
  async leastLoadedNotificationServer(): Promise<string | undefined> {
    let best: NodeInfo | undefined;
    for (const { info } of await this.aliveNodes()) {
      if (info.ns !== undefined && (!best || info.load < best.load)) best = info;
    }
    return best?.ns;
  }

  /** The nodes whose heartbeat key lives, with what they last announced. */
  private async aliveNodes(): Promise<{ node: string; info: NodeInfo }[]> {
    const nodes = Object.entries(await this.redis.hgetall(this.key('nodes')));
    if (nodes.length === 0) return [];
    const alive = this.redis.pipeline();
    for (const [node] of nodes) alive.exists(this.aliveKey(node));
    const results = (await alive.exec()) ?? [];
    return nodes.filter((_, i) => results[i]?.[1] === 1).map(([node, value]) => ({ node, info: JSON.parse(value) as NodeInfo }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.sessions.clear();
    for (const resolve of this.pending.values()) resolve(false);
    this.pending.clear();
    try {
      await this.redis.multi().del(this.aliveKey(this.nodeId), this.onlineKey(this.nodeId)).hdel(this.key('nodes'), this.nodeId).exec();
    } finally {
      this.subscriber.disconnect();
      await this.redis.quit().catch(() => this.redis.disconnect());
    }
  }

  // ---- between nodes ----------------------------------------------------------------------------

  private async route(handle: string): Promise<Route | undefined> {
    const found = (await this.redis.eval(LIVE_ROUTE, 1, this.key('route', handle), `${this.prefix}node:`)) as [string, string] | null;
    return found ? { node: found[0], sessionId: found[1] } : undefined;
  }

  /** Asks another node to do something for its session of `handle`; false when it does not answer in time. */
  private request(node: string, handle: string, request: NodeRequest): Promise<boolean> {
    const id = randomBytes(12).toString('hex');
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => settle(false), this.requestTimeoutMs);
      const settle = (value: boolean): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(value);
      };
      this.pending.set(id, settle);
      this.send(node, { kind: 'request', id, from: this.nodeId, handle, request }).catch(() => settle(false));
    });
  }

  private async send(node: string, message: NodeMessage): Promise<void> {
    await this.redis.publish(this.nodeChannel(node), JSON.stringify(message));
  }

  private receive(channel: string, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (channel === this.signalChannel()) return this.receiveSignal(message as { from: string; signal: Signal });
    this.receiveNodeMessage(message as NodeMessage);
  }

  private receiveSignal({ from, signal }: { from: string; signal: Signal }): void {
    // This node's listeners heard it when it was sent.
    if (from === this.nodeId) return;
    for (const listener of this.signalListeners) listener(signal);
  }

  private receiveNodeMessage(message: NodeMessage): void {
    if (message.kind === 'event') return this.sessions.get(message.handle)?.deliver(message.event);
    if (message.kind === 'reply') return this.pending.get(message.id)?.(message.value);
    void this.answer(message)
      .then(
        (value) => this.send(message.from, { kind: 'reply', id: message.id, value }),
        () => this.send(message.from, { kind: 'reply', id: message.id, value: false }),
      )
      .catch(() => {});
  }

  private async answer({ handle, request }: Extract<NodeMessage, { kind: 'request' }>): Promise<boolean> {
    const session = this.sessions.get(handle);
    if (!session) return false;
    if (request.kind === 'ring') return session.ring(request.invitation);
    if (request.kind === 'page') return session.page(request.page);
    if (session.sessionId !== request.sessionId) return false;
    await session.kick('OTH');
    return true;
  }

  private async beat(): Promise<void> {
    const info: NodeInfo = { ns: this.nsAddress, load: this.sessions.size };
    await this.redis
      .multi()
      .set(this.aliveKey(this.nodeId), '1', 'PX', this.heartbeatMs * 3)
      .hset(this.key('nodes'), this.nodeId, JSON.stringify(info))
      .exec();
  }

  private key(kind: string, name = ''): string {
    return `${this.prefix}${kind}:${name}`;
  }

  private onlineKey(node: string): string {
    return `${this.prefix}online:${node}`;
  }

  private aliveKey(node: string): string {
    return `${this.prefix}node:${node}`;
  }

  private nodeChannel(node: string): string {
    return `${this.prefix}to:${node}`;
  }

  private signalChannel(): string {
    return `${this.prefix}signals`;
  }
}
