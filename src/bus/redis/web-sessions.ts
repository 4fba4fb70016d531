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
    const value = JSON.stringify({ ...session, node: this.link.nodeId });
    try {
      await this.write(mspAuth, value);
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

  /** The MSPAuths of this node's web sessions. */
  auths(): string[] {
    return [...this.mine.keys()];
  }

  /** Writes this node's web sessions again (after RECONCILE). */
  async rewrite(): Promise<void> {
    const { redis, nodeId } = this.link;
    const writes = redis.multi();
    for (const [auth, session] of this.mine) {
      writes.set(this.link.key('web', auth), JSON.stringify({ ...session, node: nodeId })).sadd(this.link.websKey(nodeId), auth);
    }
    await this.link.guard(execAll(writes));
  }

  /** Writes a web session's record (both keys in one step), or removes it when `value` is ''. */
  private write(mspAuth: string, value: string): Promise<unknown> {
    const { link } = this;
    return link.guard(link.run(WEB_SESSION, [link.key('web', mspAuth), link.websKey(link.nodeId)], [value, mspAuth]));
  }

  /** Forgets this node's web sessions here; returns their keys, for the node to delete as it leaves. */
  clear(): string[] {
    const keys = this.auths().map((auth) => this.link.key('web', auth));
    this.mine.clear();
    return keys;
  }
}
