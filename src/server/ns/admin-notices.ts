// The node's side of administration (core/admin.ts): it reports itself in the store every few
// seconds (msnd status, where a user is signed in) and carries out the operators' notices for its
// own sessions about once a second. `msnd user …` runs in another process, which reaches the
// running servers only through the store they share (as `msnd alert send` does); every node of a
// cluster reads the same notices and acts on the sessions it holds.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { NODE_REPORT_MS, NOTICE_LIFETIME_MS } from '../../core/admin.ts';
import type { NodeReport, StoredNotice } from '../../core/admin-store.ts';
import type { Store } from '../../core/store.ts';
import type { NotificationSession } from './session.ts';

const NOTICES_PER_ROUND = 500;
const PRUNE_EVERY_MS = 60_000;

export interface AdminWorkerParts {
  store: Store;
  log: Logger;
  nodeId: string;
  pollMs: number;
  /** The node's report as of now. */
  report(): Omit<NodeReport, 'id'>;
  /** This node's NS sessions. */
  sessions(): Iterable<NotificationSession>;
}

/** A node id that names the machine and the process, unique among the nodes sharing a store. */
export function newNodeId(): string {
  return `${hostname()}:${process.pid}`;
}

export class AdminWorker {
  private lastNotice = 0;
  private lastPrune = 0;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly parts: AdminWorkerParts) {}

  /** Reports the node and starts reading notices from those written from now on. */
  async start(): Promise<void> {
    const { store, log, pollMs } = this.parts;
    this.lastNotice = await store.admin.lastNoticeId();
    // A process before this one with the same id (a restarted container is often pid 1 again) may
    // have died with sign-ins recorded: none of them is live.
    await store.admin.forgetNode(this.parts.nodeId);
    await this.reportNode();
    const every = (ms: number, work: () => Promise<void>) => {
      const timer = setInterval(() => void work(), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(NODE_REPORT_MS, () => this.reportNode());
    every(pollMs, () => this.round());
    log.debug({ node: this.parts.nodeId }, 'admin notices: listening');
  }

  /** Carries out the notices written so far; a round asked for while one runs joins it. */
  round(): Promise<void> {
    this.running ??= this.readNotices().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops, and takes the node and its sign-ins out of the store (they are not live any more). */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.running;
    await this.parts.store.admin
      .forgetNode(this.parts.nodeId)
      .catch((err: unknown) => this.parts.log.warn({ err }, 'forgetting the node failed'));
  }

  private async reportNode(): Promise<void> {
    const report = { id: this.parts.nodeId, ...this.parts.report() };
    await this.parts.store.admin.reportNode(report, Date.now()).catch((err: unknown) => this.parts.log.warn({ err }, 'node report failed'));
  }

  private async readNotices(): Promise<void> {
    const { store, log } = this.parts;
    try {
      for (;;) {
        const notices = await store.admin.notices(this.lastNotice, NOTICES_PER_ROUND);
        for (const notice of notices) {
          this.lastNotice = notice.id;
          await this.carryOut(notice).catch((err: unknown) => log.warn({ err, notice: notice.id }, 'admin notice failed'));
        }
        if (notices.length < NOTICES_PER_ROUND) break;
      }
      const now = Date.now();
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        await store.admin.pruneNotices(now - NOTICE_LIFETIME_MS);
      }
    } catch (error) {
      log.error({ err: error }, 'reading admin notices failed');
    }
  }

  private async carryOut({ handle, notice, createdAt }: StoredNotice): Promise<void> {
    for (const session of this.parts.sessions()) {
      const ctx = session.context;
      const user = ctx.userIfSignedIn;
      if (!ctx.isAuthenticated || user?.handle !== handle) continue;
      if (notice.kind === 'end') {
        // A session that signed in after the end was written (a kick of an account that was signed
        // out, then a sign-in before this node read it) is not the one the operator ended. In a
        // cluster this compares two machines' clocks: keep them in step (NTP).
        if (ctx.signedInAtMs > createdAt) continue;
        this.parts.log.info({ handle, reason: notice.reason }, 'session ended by an operator');
        await session.endByOperator(notice.reason);
      } else if (notice.kind === 'event') {
        session.deliver(notice.event);
      } else {
        session.takeName(notice.name, notice.version);
      }
    }
  }
}
