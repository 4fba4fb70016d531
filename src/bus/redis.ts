// The bus of a cluster (DESIGN.md "Cluster mode"): Redis holds which node has each signed-in user,
// presence records, web sessions and one-use tokens; each node listens on a channel of its own,
// and node-wide signals go over one shared channel. Everything here may be lost and rebuilt:
// PostgreSQL (or the shared SQLite file) stays the only system of record.
//
// Nodes that stop: each node writes an alive key with every heartbeat, living `expiryMs -
// heartbeatMs`; each node looks for nodes without one at every heartbeat and sweeps them (SWEEP:
// one Lua script, so exactly one node takes each user), so within `expiryMs` of a node's last
// heartbeat its users are offline everywhere and their watchers told. A node that was only slow
// and finds its alive key gone takes its users back (RECONCILE): their routes again, their
// presence told again; one that another node signed in meanwhile is ended with OUT OTH there.
//
// Outages: a command is never queued while Redis is unreachable, nor sent again after a
// reconnect, and each has a time limit; a failed call throws ServiceUnavailableError. A command
// that never reached Redis never happens; one whose answer was lost (or came too late) may have
// happened, so after any failure the node recovers as after a reconnect (its routes, web sessions
// and presence written again) once Redis answers again.
import { randomBytes } from 'node:crypto';
import { Redis, type ChainableCommander } from 'ioredis';
import type {
  Bus,
  GoneUser,
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
import { ServiceUnavailableError } from '../core/unavailable.ts';
import { newCookie } from './memory.ts';

export interface RedisBusOptions {
  /** redis:// URL. */
  url: string;
  /** Prefix of every key and channel, so that several services can share one Redis. */
  prefix?: string;
  /** How long a request to another node (kick, ring, page) may take before it counts as refused. */
  requestTimeoutMs?: number;
  /** How often this node says it is alive and looks for nodes that stopped (default 5 s). */
  heartbeatMs?: number;
  /**
   * A node silent this long after its last heartbeat is gone: its users are offline everywhere by
   * then (default three heartbeats; at least two).
   */
  expiryMs?: number;
  /** How long one Redis command may take before it counts as failed (default 3 s). */
  commandTimeoutMs?: number;
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

/** Users of a stopped node taken per SWEEP call (one Lua call blocks Redis while it runs). */
const SWEEP_BATCH = 500;
/**
 * How long the record of a user who went offline is kept. Its seq only has to outlive the sessions
 * that saw it; a record made later starts at Redis's clock (SET_PRESENCE), later than all of them.
 */
const OFFLINE_RECORD_MS = 3_600_000;

// The route of a user, but only while its node is alive (KEYS[1] route, ARGV[1] alive-key prefix).
const LIVE_ROUTE = `
local route = redis.call('hmget', KEYS[1], 'node', 'session')
if not route[1] then return nil end
if redis.call('exists', ARGV[1] .. route[1]) == 0 then return nil end
return route`;

// The next seq of a presence record. A record that does not exist, or no longer does (it expired,
// or Redis lost its data), starts its seq at Redis's clock in milliseconds: later than every seq it
// had before, so that sessions which saw those do not take the new events for stale ones (a user
// changes status far less often than once a millisecond). An offline record expires (bounded
// memory); an online one does not.
const PRESENCE_FUNCTIONS = `
local function next_seq(key)
  if redis.call('hexists', key, 'seq') == 0 then
    local now = redis.call('time')
    local seq = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
    redis.call('hset', key, 'seq', seq)
    return seq
  end
  return redis.call('hincrby', key, 'seq', 1)
end
local function offline(key, ttl)
  local seq = next_seq(key)
  redis.call('hdel', key, 'status', 'name')
  redis.call('pexpire', key, ttl)
  return seq
end
-- Forgets a user of a node that is gone (KEYS of the caller's node): its route, unless another
-- node holds the user now, and its presence. Appends handle and new seq to gone.
local function forget(prefix, node, handle, ttl, gone)
  local route = prefix .. 'route:' .. handle
  local holder = redis.call('hget', route, 'node')
  if holder and holder ~= node then return end
  redis.call('del', route)
  table.insert(gone, handle)
  table.insert(gone, offline(prefix .. 'presence:' .. handle, ttl))
end
`;

// A presence change (KEYS[1] record; ARGV status and name, '' for none; ARGV[3] offline record lifetime).
const SET_PRESENCE = `${PRESENCE_FUNCTIONS}
if ARGV[1] == '' then return offline(KEYS[1], ARGV[3]) end
local seq = next_seq(KEYS[1])
redis.call('hset', KEYS[1], 'status', ARGV[1], 'name', ARGV[2])
redis.call('persist', KEYS[1])
return seq`;

// Forgets the route only if it is still this session's (KEYS[1] route), and the user from this
// node's online set (KEYS[2]) if the session was this node's current one (ARGV[3] = '1').
const DETACH = `
if redis.call('hget', KEYS[1], 'session') == ARGV[1] then redis.call('del', KEYS[1]) end
if ARGV[3] == '1' then redis.call('srem', KEYS[2], ARGV[2]) end
return 0`;

// The heartbeat (KEYS[1] alive key, KEYS[2] node directory; ARGV lifetime, node, info). Returns
// whether the alive key still existed: 0 means that other nodes may have swept this one.
const BEAT = `
local existed = redis.call('exists', KEYS[1])
redis.call('set', KEYS[1], '1', 'PX', ARGV[1])
redis.call('hset', KEYS[2], ARGV[2], ARGV[3])
return existed`;

// Sweeps one batch of a node that is gone (KEYS: its alive key, the sweep claim, its online set,
// its web-session set, the node directory; ARGV: prefix, that node, this node, batch, claim
// lifetime, offline record lifetime). Nothing if the node is alive again or another node holds
// the claim; else {done, {handle, seq, …}}: the users forgotten now, for their watchers. SPOP
// hands each user to one caller only; the claim keeps the other nodes out while this one sweeps.
const SWEEP = `${PRESENCE_FUNCTIONS}
local prefix, dead, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('exists', KEYS[1]) == 1 then return false end
local holder = redis.call('get', KEYS[2])
if holder and holder ~= me then return false end
redis.call('set', KEYS[2], me, 'PX', ARGV[5])
local gone = {}
for _, handle in ipairs(redis.call('spop', KEYS[3], ARGV[4])) do forget(prefix, dead, handle, ARGV[6], gone) end
for _, auth in ipairs(redis.call('spop', KEYS[4], ARGV[4])) do redis.call('del', prefix .. 'web:' .. auth) end
if redis.call('exists', KEYS[3]) == 1 or redis.call('exists', KEYS[4]) == 1 then return {0, gone} end
redis.call('hdel', KEYS[5], dead)
redis.call('del', KEYS[2])
return {1, gone}`;

// What Redis holds of this node, made to match its sessions (KEYS: its online set, its web-session
// set; ARGV: prefix, this node, offline record lifetime, n, n pairs of handle and session id, then
// the MSPAuth of each web session). A user that another node holds now is superseded (ended here
// without touching its presence); every other session gets its route back; users and web
// sessions Redis still has for this node but the node does not are forgotten. Returns
// {superseded handles, {handle, seq, …} of the forgotten users}.
const RECONCILE = `${PRESENCE_FUNCTIONS}
local prefix, me, ttl, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local mine, superseded, gone, auths = {}, {}, {}, {}
for i = 5, 4 + 2 * n, 2 do
  local handle, session = ARGV[i], ARGV[i + 1]
  local route = prefix .. 'route:' .. handle
  local holder = redis.call('hget', route, 'node')
  if holder and holder ~= me then
    redis.call('srem', KEYS[1], handle)
    table.insert(superseded, handle)
  else
    mine[handle] = true
    redis.call('hset', route, 'node', me, 'session', session)
    redis.call('sadd', KEYS[1], handle)
  end
end
for _, handle in ipairs(redis.call('smembers', KEYS[1])) do
  if not mine[handle] then
    redis.call('srem', KEYS[1], handle)
    forget(prefix, me, handle, ttl, gone)
  end
end
for i = 5 + 2 * n, #ARGV do auths[ARGV[i]] = true end
for _, auth in ipairs(redis.call('smembers', KEYS[2])) do
  if not auths[auth] then
    redis.call('srem', KEYS[2], auth)
    redis.call('del', prefix .. 'web:' .. auth)
  end
end
return {superseded, gone}`;

/** A failed Redis call as core sees it: the bus is unavailable (MSNP5.md 13: 601). */
function unavailable(error: unknown): ServiceUnavailableError {
  return error instanceof ServiceUnavailableError ? error : new ServiceUnavailableError('bus', error);
}

/** Runs a MULTI or pipeline; throws if any of its commands failed. */
async function execAll(batch: ChainableCommander): Promise<unknown[]> {
  const results = await batch.exec();
  if (!results) throw new Error('transaction aborted');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** {handle, seq, handle, seq, …} from a script. */
function goneUsers(flat: unknown[]): GoneUser[] {
  const users: GoneUser[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) users.push({ handle: String(flat[i]), seq: Number(flat[i + 1]) });
  return users;
}

type Guard = <T>(operation: Promise<T>) => Promise<T>;

/** One-use tokens in Redis: SET with an expiry, taken with GETDEL (so only one consumer wins). */
class RedisTokens implements TokenStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly guard: Guard,
  ) {}

  async issue(purpose: string, data: Record<string, string>, ttlMs: number): Promise<string> {
    const token = newCookie();
    await this.guard(this.redis.set(this.key(purpose, token), JSON.stringify(data), 'PX', ttlMs));
    return token;
  }

  async consume(purpose: string, token: string): Promise<Record<string, string> | undefined> {
    const value = await this.guard(this.redis.getdel(this.key(purpose, token)));
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
    private readonly guard: Guard,
  ) {}

  async count(key: string, windowMs: number): Promise<number> {
    const results = await this.guard(
      execAll(
        this.redis
          .multi()
          .zremrangebyscore(this.key(key), 0, Date.now() - windowMs)
          .zcard(this.key(key)),
      ),
    );
    return Number(results[1] ?? 0);
  }

  async add(key: string, windowMs: number): Promise<void> {
    const now = Date.now();
    const event = `${now}-${randomBytes(4).toString('hex')}`;
    await this.guard(execAll(this.redis.multi().zadd(this.key(key), now, event).pexpire(this.key(key), windowMs)));
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
  /** This node's web sessions by MSPAuth, to write them again after Redis forgot them. */
  private readonly webSessions = new Map<string, WebSession>();
  private readonly signalListeners: ((signal: Signal) => void)[] = [];
  private readonly goneListeners: ((users: GoneUser[]) => Promise<void>)[] = [];
  private readonly pending = new Map<string, (value: boolean) => void>();
  private readonly prefix: string;
  private readonly requestTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly expiryMs: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;
  private sweeping = false;
  private recovering: Promise<void> | undefined;
  /** A call failed since the last recovery: what Redis holds of this node may be stale. */
  private degraded = false;
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
    this.expiryMs = opts.expiryMs ?? this.heartbeatMs * 3;
    if (this.expiryMs < 2 * this.heartbeatMs) throw new Error('the node expiry must be at least two heartbeats');
    const guard: Guard = (operation) => this.guard(operation);
    this.tokens = new RedisTokens(redis, this.prefix, guard);
    this.rates = new RedisRates(redis, this.prefix, guard);
  }

  /** Connects, subscribes to this node's channel and the signal channel, and starts the heartbeat. */
  static async connect(opts: RedisBusOptions): Promise<RedisBus> {
    const onError = opts.onError ?? (() => {});
    // Commands fail at once while Redis is unreachable, those in flight when the connection
    // breaks fail then and are not sent again, and none waits longer than the command timeout.
    // The subscriber keeps ioredis's defaults, so that it subscribes again by itself after a
    // reconnect.
    const redis = new Redis(opts.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: opts.commandTimeoutMs ?? 3000,
    });
    const subscriber = new Redis(opts.url, { lazyConnect: true });
    for (const connection of [redis, subscriber]) connection.on('error', onError);
    let bus: RedisBus;
    try {
      bus = new RedisBus(redis, subscriber, opts);
      await Promise.all([redis.connect(), subscriber.connect()]);
      await bus.beat();
      subscriber.on('message', (channel: string, message: string) => bus.receive(channel, message));
      await subscriber.subscribe(bus.nodeChannel(bus.nodeId), bus.signalChannel());
    } catch (error) {
      redis.disconnect();
      subscriber.disconnect();
      throw error;
    }
    bus.heartbeat = setInterval(() => void bus.tick().catch(onError), bus.heartbeatMs);
    bus.heartbeat.unref();
    // A Redis that restarted has forgotten this node's users: tell it again (DESIGN.md "Cluster mode").
    redis.on('ready', () => void bus.recover().catch(onError));
    return bus;
  }

  /**
   * After a reconnect, a failed call, or when this node finds that it counted as gone: what Redis
   * holds of this node made to match its sessions (RECONCILE), then each user's presence told
   * again. A user that another node signed in meanwhile is ended here with OUT OTH; users this
   * node no longer has are forgotten and their watchers told (onUsersGone).
   */
  recover(): Promise<void> {
    this.recovering ??= this.reconcile().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async reconcile(): Promise<void> {
    if (this.closed) return;
    this.degraded = false;
    try {
      await this.beat();
      const sessions = [...this.sessions];
      const auths = [...this.webSessions.keys()];
      const args = [this.prefix, this.nodeId, OFFLINE_RECORD_MS, sessions.length];
      for (const [handle, session] of sessions) args.push(handle, session.sessionId);
      const [superseded, gone] = (await this.guard(
        this.redis.eval(RECONCILE, 2, this.onlineKey(this.nodeId), this.websKey(this.nodeId), ...args, ...auths),
      )) as [string[], unknown[]];
      const writes = this.redis.multi();
      for (const [auth, session] of this.webSessions) {
        writes.set(this.key('web', auth), JSON.stringify({ ...session, node: this.nodeId })).sadd(this.websKey(this.nodeId), auth);
      }
      await this.guard(execAll(writes));
      for (const handle of superseded) {
        const session = this.sessions.get(handle);
        if (!session) continue;
        this.sessions.delete(handle);
        void session.kick('OTH', { keepPresence: true }).catch(() => {});
      }
      await this.tellGone(goneUsers(gone));
    } catch (error) {
      this.degraded = true;
      throw error;
    }
    const told = await Promise.allSettled([...this.sessions.values()].map((session) => session.republishPresence()));
    if (told.some((result) => result.status === 'rejected')) this.degraded = true;
  }

  /**
   * One heartbeat: alive again, recovery if needed, then a look for nodes that stopped. The sweep
   * runs on its own, so that a long one (many users, their watchers told) never delays a beat.
   */
  private async tick(): Promise<void> {
    if (this.beating || this.closed) return;
    this.beating = true;
    try {
      const wasAlive = await this.beat();
      if (!wasAlive || this.degraded) await this.recover();
    } finally {
      this.beating = false;
    }
    if (this.sweeping) return;
    this.sweeping = true;
    await this.sweepStoppedNodes().finally(() => (this.sweeping = false));
  }

  /** Sweeps every node whose alive key has expired (one node does each; DESIGN.md "Cluster mode"). */
  async sweepStoppedNodes(): Promise<void> {
    const nodes = (await this.guard(this.redis.hkeys(this.key('nodes')))).filter((node) => node !== this.nodeId);
    if (nodes.length === 0) return;
    const alive = await this.guard(execAll(nodes.reduce((batch, node) => batch.exists(this.aliveKey(node)), this.redis.pipeline())));
    for (const [i, node] of nodes.entries()) if (alive[i] === 0) await this.sweep(node);
  }

  private async sweep(node: string): Promise<void> {
    for (;;) {
      const keys = [this.aliveKey(node), this.key('sweep', node), this.onlineKey(node), this.websKey(node), this.key('nodes')];
      const args = [this.prefix, node, this.nodeId, SWEEP_BATCH, this.expiryMs, OFFLINE_RECORD_MS];
      const result = (await this.guard(this.redis.eval(SWEEP, keys.length, ...keys, ...args))) as [number, unknown[]] | null;
      if (!result) return;
      await this.tellGone(goneUsers(result[1]));
      if (result[0] === 1) return;
    }
  }

  private async tellGone(users: GoneUser[]): Promise<void> {
    if (users.length === 0) return;
    await Promise.allSettled(this.goneListeners.map((listener) => listener(users)));
  }

  onUsersGone(listener: (users: GoneUser[]) => Promise<void>): void {
    this.goneListeners.push(listener);
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
    try {
      await this.guard(
        execAll(
          this.redis
            .multi()
            .hset(this.key('route', handle), { node: this.nodeId, session: endpoint.sessionId })
            .sadd(this.onlineKey(this.nodeId), handle),
        ),
      );
    } catch (error) {
      if (this.sessions.get(handle) === endpoint) this.sessions.delete(handle);
      throw error;
    }
  }

  async detach(handle: string, sessionId: string): Promise<void> {
    const current = this.sessions.get(handle)?.sessionId === sessionId;
    if (current) this.sessions.delete(handle);
    await this.guard(
      this.redis.eval(DETACH, 2, this.key('route', handle), this.onlineKey(this.nodeId), sessionId, handle, current ? '1' : '0'),
    );
  }

  publish(handle: string, event: UserEvent): void {
    const local = this.sessions.get(handle);
    if (local) return local.deliver(event);
    // Requests on one connection are answered in order, so events to one user keep their order.
    void this.route(handle)
      .then((route) => route && this.guard(this.send(route.node, { kind: 'event', handle, event })))
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
    void this.guard(this.redis.publish(this.signalChannel(), JSON.stringify({ from: this.nodeId, signal }))).catch(() => {});
  }

  onSignal(listener: (signal: Signal) => void): void {
    this.signalListeners.push(listener);
  }

  async setPresence(handle: string, shown: Shown | null): Promise<number> {
    // The record outlives the session so that seq keeps growing across sign-ins (as in one process).
    const key = this.key('presence', handle);
    const seq = await this.guard(this.redis.eval(SET_PRESENCE, 1, key, shown?.status ?? '', shown?.name ?? '', OFFLINE_RECORD_MS));
    return Number(seq);
  }

  async presenceOf(handles: readonly string[]): Promise<Map<string, PresenceRecord>> {
    const found = new Map<string, PresenceRecord>();
    if (handles.length === 0) return found;
    const reads = this.redis.pipeline();
    for (const handle of handles) reads.hgetall(this.key('presence', handle));
    const results = await this.guard(execAll(reads));
    handles.forEach((handle, i) => {
      const fields = results[i] as Record<string, string> | undefined;
      if (!fields?.seq) return;
      const shown = fields.status ? { status: fields.status as Shown['status'], name: fields.name ?? '' } : null;
      found.set(handle, { seq: Number(fields.seq), shown });
    });
    return found;
  }

  /** The users of the nodes alive now: a node that died without signing its users out counts no more. */
  async onlineCount(): Promise<number> {
    let count = 0;
    for (const { node } of await this.aliveNodes()) count += await this.guard(this.redis.scard(this.onlineKey(node)));
    return count;
  }

  async registerWebSession(mspAuth: string, session: WebSession): Promise<void> {
    this.webSessions.set(mspAuth, session);
    const value = JSON.stringify({ ...session, node: this.nodeId });
    try {
      await this.guard(execAll(this.redis.multi().set(this.key('web', mspAuth), value).sadd(this.websKey(this.nodeId), mspAuth)));
    } catch (error) {
      this.webSessions.delete(mspAuth);
      throw error;
    }
  }

  async forgetWebSession(mspAuth: string): Promise<void> {
    this.webSessions.delete(mspAuth);
    await this.guard(execAll(this.redis.multi().del(this.key('web', mspAuth)).srem(this.websKey(this.nodeId), mspAuth)));
  }

  /** Valid while its NS session lasts: not after its node is gone without signing it out. */
  async webSession(mspAuth: string): Promise<WebSession | undefined> {
    const value = await this.guard(this.redis.get(this.key('web', mspAuth)));
    if (value === null) return undefined;
    const { node, ...session } = JSON.parse(value) as WebSession & { node: string };
    return (await this.guard(this.redis.exists(this.aliveKey(node)))) === 1 ? session : undefined;
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

  async nodeCount(): Promise<number> {
    return (await this.aliveNodes()).length;
  }

  /** The nodes whose heartbeat key lives, with what they last announced. */
  private async aliveNodes(): Promise<{ node: string; info: NodeInfo }[]> {
    const nodes = Object.entries(await this.guard(this.redis.hgetall(this.key('nodes'))));
    if (nodes.length === 0) return [];
    const alive = await this.guard(execAll(nodes.reduce((batch, [node]) => batch.exists(this.aliveKey(node)), this.redis.pipeline())));
    return nodes.filter((_, i) => alive[i] === 1).map(([node, value]) => ({ node, info: JSON.parse(value) as NodeInfo }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    const webKeys = [...this.webSessions.keys()].map((auth) => this.key('web', auth));
    this.sessions.clear();
    this.webSessions.clear();
    for (const resolve of this.pending.values()) resolve(false);
    this.pending.clear();
    try {
      await this.redis
        .multi()
        .del(this.aliveKey(this.nodeId), this.onlineKey(this.nodeId), this.websKey(this.nodeId), ...webKeys)
        .hdel(this.key('nodes'), this.nodeId)
        .exec();
    } finally {
      this.subscriber.disconnect();
      await this.redis.quit().catch(() => this.redis.disconnect());
    }
  }

  // ---- between nodes ----------------------------------------------------------------------------

  /** A Redis call; its failure marks this node for recovery and reaches core as ServiceUnavailableError. */
  private async guard<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      this.degraded = true;
      throw unavailable(error);
    }
  }

  private async route(handle: string): Promise<Route | undefined> {
    const found = (await this.guard(this.redis.eval(LIVE_ROUTE, 1, this.key('route', handle), `${this.prefix}node:`))) as
      | [string, string]
      | null;
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
      this.guard(this.send(node, { kind: 'request', id, from: this.nodeId, handle, request })).catch(() => settle(false));
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

  /** Writes this node's alive key and directory entry; false when the alive key had expired. */
  private async beat(): Promise<boolean> {
    const info: NodeInfo = { ns: this.nsAddress, load: this.sessions.size };
    // The key lives one heartbeat less than the expiry: the others look once per heartbeat.
    const lifetime = this.expiryMs - this.heartbeatMs;
    const existed = await this.guard(
      this.redis.eval(BEAT, 2, this.aliveKey(this.nodeId), this.key('nodes'), lifetime, this.nodeId, JSON.stringify(info)),
    );
    return existed === 1;
  }

  private key(kind: string, name = ''): string {
    return `${this.prefix}${kind}:${name}`;
  }

  private onlineKey(node: string): string {
    return `${this.prefix}online:${node}`;
  }

  private websKey(node: string): string {
    return `${this.prefix}webs:${node}`;
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
