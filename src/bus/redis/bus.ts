// The bus of a cluster (DESIGN.md "Cluster mode"): Redis holds which node has each signed-in user,
// presence records, web sessions and one-use tokens; each node listens on a channel of its own,
// and node-wide signals go over one shared channel. Everything here may be lost and rebuilt:
// PostgreSQL (or the shared SQLite file) stays the only system of record. One file per part:
// routes.ts (with messages.ts between nodes), presence.ts, web-sessions.ts, nodes.ts, signals.ts,
// tokens.ts, rates.ts, tallies.ts; the Lua scripts in scripts.ts.
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
import { Redis } from 'ioredis';
import type { Bus, OfflineNotice, Signal } from '../../core/bus.ts';
import { LocalSessions } from '../local.ts';
import { coalesceWrites, goneUsers, RedisLink } from './link.ts';
import { type NodeMessage, NodeMessages } from './messages.ts';
import { RedisNodes } from './nodes.ts';
import { RedisPresence } from './presence.ts';
import { RedisRates } from './rates.ts';
import { RedisTallies } from './tallies.ts';
import { RedisRoutes } from './routes.ts';
import { RECONCILE } from './scripts.ts';
import { RedisSignals } from './signals.ts';
import { RedisTokens } from './tokens.ts';
import { RedisWebSessions } from './web-sessions.ts';

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
  /**
   * How long the DS refers logins by one reading of the node directory (default 1 s; 0: a reading
   * per login). Each node's load in it is as of its last heartbeat anyway.
   */
  referralDirectoryMs?: number;
  /** How long one Redis command may take before it counts as failed (default 3 s). */
  commandTimeoutMs?: number;
  /** Connection errors (Redis reconnects by itself meanwhile). */
  onError?: (error: Error) => void;
}

export class RedisBus implements Bus {
  readonly routes: RedisRoutes;
  readonly presence: RedisPresence;
  readonly webSessions: RedisWebSessions;
  readonly nodes: RedisNodes;
  readonly signals: RedisSignals;
  readonly tokens: RedisTokens;
  readonly rates: RedisRates;
  readonly tallies: RedisTallies;
  private readonly link: RedisLink;
  private readonly local = new LocalSessions();
  private readonly messages: NodeMessages;
  private readonly heartbeatMs: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;
  private sweeping = false;
  private recovering: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    opts: RedisBusOptions,
  ) {
    this.link = new RedisLink(redis, opts.prefix ?? 'msnd:');
    this.heartbeatMs = opts.heartbeatMs ?? 5000;
    const expiryMs = opts.expiryMs ?? this.heartbeatMs * 3;
    if (expiryMs < 2 * this.heartbeatMs) throw new Error('the node expiry must be at least two heartbeats');
    this.messages = new NodeMessages(this.link, opts.requestTimeoutMs ?? 5000);
    const timing = { heartbeatMs: this.heartbeatMs, expiryMs, referralDirectoryMs: opts.referralDirectoryMs ?? 1000 };
    this.nodes = new RedisNodes(this.link, timing, () => this.local.size);
    this.webSessions = new RedisWebSessions(this.link);
    this.routes = new RedisRoutes(this.link, this.local, this.nodes, this.messages, this.webSessions);
    this.presence = new RedisPresence(this.link);
    this.signals = new RedisSignals(this.link);
    this.tokens = new RedisTokens(this.link);
    this.rates = new RedisRates(this.link);
    this.tallies = new RedisTallies(this.link);
  }

  /** This node's id in Redis (its keys and channel carry it). */
  get nodeId(): string {
    return this.link.nodeId;
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
    redis.on('connect', () => coalesceWrites(redis.stream));
    const subscriber = new Redis(opts.url, { lazyConnect: true });
    for (const connection of [redis, subscriber]) connection.on('error', onError);
    let bus: RedisBus;
    try {
      bus = new RedisBus(redis, subscriber, opts);
      await Promise.all([redis.connect(), subscriber.connect()]);
      await bus.nodes.beat();
      subscriber.on('message', (channel: string, message: string) => bus.receive(channel, message));
      await subscriber.subscribe(bus.link.nodeChannel(bus.nodeId), bus.link.signalChannel());
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
    const link = this.link;
    link.degraded = false;
    try {
      await this.nodes.beat();
      const sessions = this.local.entries();
      const args = [link.prefix, link.nodeId, sessions.length];
      for (const [handle, session] of sessions) args.push(handle, session.sessionId);
      const keys = [link.onlineKey(link.nodeId), link.websKey(link.nodeId)];
      const [superseded, gone] = (await link.guard(link.run(RECONCILE, keys, [...args, ...this.webSessions.auths()]))) as [
        string[],
        unknown[],
      ];
      await this.webSessions.rewrite();
      for (const handle of superseded) this.local.supersede(handle);
      await this.nodes.tellGone(goneUsers(gone));
    } catch (error) {
      link.degraded = true;
      throw error;
    }
    const told = await Promise.allSettled(this.local.all().map((session) => session.republishPresence()));
    if (told.some((result) => result.status === 'rejected')) link.degraded = true;
  }

  /**
   * One heartbeat: alive again, recovery if needed, then a look for nodes that stopped. The sweep
   * runs on its own, so that a long one (many users, their watchers told) never delays a beat.
   */
  private async tick(): Promise<void> {
    if (this.beating || this.closed) return;
    this.beating = true;
    try {
      const wasAlive = await this.nodes.beat();
      if (!wasAlive || this.link.degraded) await this.recover();
    } finally {
      this.beating = false;
    }
    if (this.sweeping) return;
    this.sweeping = true;
    await this.nodes.sweepStoppedNodes().finally(() => (this.sweeping = false));
  }

  leave(handle: string, sessionId: string, mspAuth: string | undefined, offline?: OfflineNotice): Promise<void> {
    return this.routes.leave(handle, sessionId, mspAuth, offline);
  }

  private receive(channel: string, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (channel === this.link.signalChannel()) return this.signals.receive(message as { from: string; signal: Signal });
    this.messages.receive(message as NodeMessage, this.routes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    // The events counted since the last write: a tally's failure is its callers' (they were told).
    await this.tallies.flush().catch(() => {});
    const webKeys = this.webSessions.clear();
    this.local.clear();
    this.messages.close();
    const { nodeId } = this.link;
    try {
      await this.redis
        .multi()
        .del(this.link.aliveKey(nodeId), this.link.onlineKey(nodeId), this.link.websKey(nodeId), ...webKeys)
        .hdel(this.link.key('nodes'), nodeId)
        .exec();
    } finally {
      this.subscriber.disconnect();
      await this.redis.quit().catch(() => this.redis.disconnect());
    }
  }
}
