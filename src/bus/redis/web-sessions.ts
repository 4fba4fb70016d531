import type { WebSession, WebSessions } from '../../core/bus.ts';
import { execAll, type RedisLink } from './link.ts';
import { LIVE_WEB_SESSION, WEB_SESSION } from './scripts.ts';

/**
 * Web sessions in Redis: one key per MSPAuth naming its node, and a set per node of its MSPAuths
 * (for the sweep). This node keeps its own too, to write them again after Redis forgot them.
 */
export class RedisWebSessions implements WebSessions {
  /** This node's web sessions by MSPAuth. */
  private readonly mine = new Map<string, WebSession>();

  constructor(private readonly link: RedisLink) {}

  async register(mspAuth: string, session: WebSession): Promise<void> {
    this.mine.set(mspAuth, session);
    try {
      await this.write(mspAuth, this.record(session));
    } catch (error) {
      this.mine.delete(mspAuth);
      throw error;
    }
  }

  async forget(mspAuth: string): Promise<void> {
    this.mine.delete(mspAuth);
    await this.write(mspAuth, '');
  }

  /** Valid while its NS session lasts: not after its node is gone without signing it out. */
  async get(mspAuth: string): Promise<WebSession | undefined> {
    const { link } = this;
    const value = (await link.guard(link.run(LIVE_WEB_SESSION, [link.key('web', mspAuth)], [link.aliveKeyPrefix]))) as string | null;
    if (value === null) return undefined;
    const { node: _node, ...session } = JSON.parse(value) as WebSession & { node: string };
    return session;
  }

  /** Keeps a web session that RedisRoutes writes with its route; returns its keys and arguments for the script. */
  adopt(mspAuth: string, session: WebSession): { keys: string[]; args: string[] } {
    this.mine.set(mspAuth, session);
    return { keys: this.keysOf(mspAuth), args: [this.record(session), mspAuth] };
  }

  /** Lets go of a web session that RedisRoutes removes with its route; returns its keys. */
  release(mspAuth: string): string[] {
    this.mine.delete(mspAuth);
    return this.keysOf(mspAuth);
  }

  /** The MSPAuths of this node's web sessions. */
  auths(): string[] {
    return [...this.mine.keys()];
  }

  /** Writes this node's web sessions again (after RECONCILE). */
  async rewrite(): Promise<void> {
    const { redis, nodeId } = this.link;
    const writes = redis.multi();
    for (const [auth, session] of this.mine) {
      writes.set(this.link.key('web', auth), this.record(session)).sadd(this.link.websKey(nodeId), auth);
    }
    await this.link.guard(execAll(writes));
  }

  /** Writes a web session's record (both keys in one step), or removes it when `value` is ''. */
  private write(mspAuth: string, value: string): Promise<unknown> {
    const { link } = this;
    return link.guard(link.run(WEB_SESSION, this.keysOf(mspAuth), [value, mspAuth]));
  }

  /** A web session's key and its node's web-session set. */
  private keysOf(mspAuth: string): string[] {
    return [this.link.key('web', mspAuth), this.link.websKey(this.link.nodeId)];
  }

  /** What Redis holds of a web session of this node. */
  private record(session: WebSession): string {
    return JSON.stringify({ ...session, node: this.link.nodeId });
  }

  /** Forgets this node's web sessions here; returns their keys, for the node to delete as it leaves. */
  clear(): string[] {
    const keys = this.auths().map((auth) => this.link.key('web', auth));
    this.mine.clear();
    return keys;
  }
}
