import type { GoneUser, NodeDirectory } from '../../core/bus.ts';
import { execAll, goneUsers, type RedisLink } from './link.ts';
import { ALIVE_NODES, BEAT, SWEEP, SWEEP_BATCH } from './scripts.ts';

/** What a node tells the others with its heartbeat. */
export interface NodeInfo {
  /** Where its NS listens; undefined until announced. */
  ns?: string;
  /** Where its SB listens (the web Messenger relays to it); undefined until announced. */
  sb?: string;
  /** Its number of signed-in users. */
  load: number;
  /** Counts its heartbeats (since it started): tells a new report from the last one. */
  beat?: number;
}

/**
 * The node directory in Redis: each node's alive key (written with every heartbeat) and its entry
 * in one hash of node → NodeInfo; the sweep of the nodes whose alive key has expired.
 */
export class RedisNodes implements NodeDirectory {
  private readonly goneListeners: ((users: GoneUser[]) => Promise<void>)[] = [];
  private nsAddress: string | undefined;
  private sbAddress: string | undefined;
  private beats = 0;
  /** The referrals this node's DS made to each node since that node's last heartbeat. */
  private referrals = new Map<string, { report: string; count: number }>();
  /** The directory the referrals go by, and when it was read. */
  private directory: { readAt: number; nodes: Promise<{ node: string; info: NodeInfo }[]> } | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly timing: { heartbeatMs: number; expiryMs: number; referralDirectoryMs: number },
    /** This node's number of signed-in users. */
    private readonly load: () => number,
  ) {}

  announce(nsAddress: string, sbAddress?: string): void {
    this.nsAddress = nsAddress;
    this.sbAddress = sbAddress;
    void this.beat().catch(() => {});
  }

  /**
   * The node with the fewest users among those alive (DESIGN.md "Cluster mode"), counting with each
   * node's load as of its last heartbeat the logins this DS referred to it since: a burst of logins
   * within one heartbeat period is spread, not sent to one node (each DS counts only its own). The
   * directory is read once per `referralDirectoryMs` (one Redis call less per login), so a node
   * that starts or stops is seen that much later, on top of its heartbeat's own delay.
   */
  async leastLoaded(): Promise<string | undefined> {
    const counted = new Map<string, { report: string; count: number }>();
    let best: { ns: string; load: number; referrals: { count: number } } | undefined;
    for (const { node, info } of await this.referralDirectory()) {
      if (info.ns === undefined) continue;
      // A node of an older version reports no beat: its load moving tells its new reports.
      const report = `${info.beat ?? ''}:${info.load}`;
      const known = this.referrals.get(node);
      const referrals = known?.report === report ? known : { report, count: 0 };
      counted.set(node, referrals);
      const load = info.load + referrals.count;
      if (!best || load < best.load) best = { ns: info.ns, load, referrals };
    }
    // Only the nodes alive now: a stopped node's count goes with it.
    this.referrals = counted;
    if (best) best.referrals.count++;
    return best?.ns;
  }

  private referralDirectory(): Promise<{ node: string; info: NodeInfo }[]> {
    const now = Date.now();
    const kept = this.directory;
    if (kept && now - kept.readAt < this.timing.referralDirectoryMs) return kept.nodes;
    const nodes = this.alive();
    // A failed reading is not kept: the next login reads again.
    const reading = { readAt: now, nodes };
    this.directory = reading;
    nodes.catch(() => {
      if (this.directory === reading) this.directory = undefined;
    });
    return nodes;
  }

  async isSwitchboard(address: string): Promise<boolean> {
    return (await this.alive()).some(({ info }) => info.sb === address);
  }

  async count(): Promise<number> {
    return (await this.alive()).length;
  }

  onUsersGone(listener: (users: GoneUser[]) => Promise<void>): void {
    this.goneListeners.push(listener);
  }

  /** Tells the listeners of users left behind (by a stopped node, or found by RECONCILE). */
  async tellGone(users: GoneUser[]): Promise<void> {
    if (users.length === 0) return;
    await Promise.allSettled(this.goneListeners.map((listener) => listener(users)));
  }

  /** The nodes whose heartbeat key lives, with what they last announced. */
  async alive(): Promise<{ node: string; info: NodeInfo }[]> {
    const { link } = this;
    const flat = (await link.guard(link.run(ALIVE_NODES, [link.key('nodes')], [link.aliveKeyPrefix]))) as string[];
    const nodes: { node: string; info: NodeInfo }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) nodes.push({ node: flat[i]!, info: JSON.parse(flat[i + 1]!) as NodeInfo });
    return nodes;
  }

  /** Writes this node's alive key and directory entry; false when the alive key had expired. */
  async beat(): Promise<boolean> {
    const { nodeId } = this.link;
    const info: NodeInfo = { ns: this.nsAddress, sb: this.sbAddress, load: this.load(), beat: ++this.beats };
    // The key lives one heartbeat less than the expiry: the others look once per heartbeat.
    const lifetime = this.timing.expiryMs - this.timing.heartbeatMs;
    const existed = await this.link.guard(
      this.link.run(BEAT, [this.link.aliveKey(nodeId), this.link.key('nodes')], [lifetime, nodeId, JSON.stringify(info)]),
    );
    return existed === 1;
  }

  /** Sweeps every node whose alive key has expired (one node does each; DESIGN.md "Cluster mode"). */
  async sweepStoppedNodes(): Promise<void> {
    const { redis, nodeId } = this.link;
    const nodes = (await this.link.guard(redis.hkeys(this.link.key('nodes')))).filter((node) => node !== nodeId);
    if (nodes.length === 0) return;
    const alive = await this.link.guard(execAll(nodes.reduce((batch, node) => batch.exists(this.link.aliveKey(node)), redis.pipeline())));
    for (const [i, node] of nodes.entries()) if (alive[i] === 0) await this.sweep(node);
  }

  private async sweep(node: string): Promise<void> {
    const link = this.link;
    for (;;) {
      const keys = [link.aliveKey(node), link.key('sweep', node), link.onlineKey(node), link.websKey(node), link.key('nodes')];
      const args = [link.prefix, node, link.nodeId, SWEEP_BATCH, this.timing.expiryMs];
      const result = (await link.guard(link.run(SWEEP, keys, args))) as [number, unknown[]] | null;
      if (!result) return;
      await this.tellGone(goneUsers(result[1]));
      if (result[0] === 1) return;
    }
  }
}
