// msnd's Prometheus metrics (prom-client): one registry per running server, created here and
// handed to the server's parts as the small interface below; core, store and web never see
// prom-client (store gets a callback, web a `scrape` function).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreBacklog } from '../core/store.ts';
import { MSND_VERSION } from './version.ts';

export type Role = 'ds' | 'ns' | 'sb';

/** What the server's parts record; every method is cheap and never throws. */
export interface ServerMetrics {
  /** A command line that reached the dispatcher (known or not: unknown names are counted as `unknown`). */
  commandReceived(role: Role, name: string, known: boolean): void;
  /** An error line `<code> <TrID>` written by the dispatcher. */
  errorSent(role: Role, code: number): void;
  /** A connection ended; `reason` as the server logs it (collapsed to a bounded set here). */
  connectionClosed(role: Role, reason: string): void;
  /** The outcome of a USR S on the NS: 'ok', or the error code sent. */
  login(outcome: 'ok' | number): void;
  /** A MSG relayed by the switchboard to `recipients` participants. */
  messageRelayed(bytes: number, recipients: number): void;
  /** A presence change (NLN/FLN/ILN source) handed to a signed-in session of this node. */
  presenceEvent(): void;
  /** An outbox item delivered, or an attempt that failed (retried or given up). */
  outbox(kind: string, outcome: 'delivered' | 'failed'): void;
  /** One store statement took `seconds` (kysely's per-query log). */
  storeStatement(seconds: number, failed: boolean): void;
}

/** Values read at scrape time from the running server. */
export interface MetricSources {
  /** Signed-in NS sessions by dialect. */
  nsSessions(): Map<string, number>;
  /** Joined switchboard participants (connections). */
  sbParticipants(): number;
  /** Switchboard sessions (chats) held by this node. */
  sbSessions(): number;
  pools(): Record<string, { open: number; shedPerAddress: number; shedTotal: number }>;
  /** One bus round trip (seconds) and the number of live cluster nodes (1 without a cluster). */
  busProbe(): Promise<{ seconds: number; nodes: number }>;
  /** Outbox items and alert copies not yet delivered (shared by the nodes of a cluster). */
  backlog(): Promise<StoreBacklog | undefined>;
}

export interface MsndMetrics extends ServerMetrics {
  readonly registry: Registry;
  /** Called once by startMsnd: the values that are read when /metrics is scraped. */
  attach(sources: MetricSources): void;
  /** The registry in Prometheus text format, with the process's default metrics. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

// The default process metrics (CPU, memory, event-loop lag, GC) are process-wide: one registry for
// them, shared by every server of the process (tests start many), merged into each scrape.
let processRegistry: Registry | undefined;
function defaultMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * A close reason as a label: the reasons that carry what a peer sent (an unknown command's name, a
 * list name) are collapsed, so a peer cannot grow the label set.
 */
export function closeReasonLabel(reason: string): string {
  if (reason.startsWith('unknown command')) return 'unknown command';
  if (/^list .* here$/.test(reason)) return 'bad list';
  // `XYZ with 37 parameters`: the count is the peer's choice.
  if (/ with \d+ parameters$/.test(reason)) return reason.replace(/ with \d+ parameters$/, ' with a wrong parameter count');
  if (reason.length > 64 || !/^[\x20-\x7e]*$/.test(reason)) return 'other';
  return reason;
}

/** Counts by two label values, as plain numbers (folded into prom-client at scrape time). */
class CountsByPair {
  private readonly counts = new Map<string, Map<string, number>>();

  add(first: string, second: string): void {
    let counts = this.counts.get(first);
    if (!counts) {
      counts = new Map();
      this.counts.set(first, counts);
    }
    counts.set(second, (counts.get(second) ?? 0) + 1);
  }

  *entries(): Generator<[string, string, number]> {
    for (const [first, counts] of this.counts) for (const [second, n] of counts) yield [first, second, n];
  }
}

export function createMetrics(): MsndMetrics {
  const registry = new Registry();
  let sources: MetricSources | undefined;
  // The counters of every command, message, close and login are plain numbers, folded into
  // prom-client at scrape time: a labelled inc() per command was a visible share of the relay's
  // CPU, and one per connection and sign-in of the logins' (bench logins --profile).
  const commandCounts = new CountsByPair();
  const closeCounts = new CountsByPair();
  const loginCounts = new Map<string, number>();
  let messageCount = 0;
  let byteCount = 0;
  let presenceCount = 0;
  new Counter({
    name: 'msnd_commands_received_total',
    help: 'Command lines received, by server role and command name',
    labelNames: ['role', 'command'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [role, command, n] of commandCounts.entries()) this.inc({ role, command }, n);
    },
  });
  const errors = new Counter({
    name: 'msnd_errors_sent_total',
    help: 'Error replies sent, by server role and error code',
    labelNames: ['role', 'code'] as const,
    registers: [registry],
  });
  new Counter({
    name: 'msnd_connections_closed_total',
    help: 'Client connections ended, by server role and reason',
    labelNames: ['role', 'reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [role, reason, n] of closeCounts.entries()) this.inc({ role, reason }, n);
    },
  });
  new Counter({
    name: 'msnd_logins_total',
    help: 'NS logins (USR S) by outcome: ok or the error code sent',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [outcome, n] of loginCounts) this.inc({ outcome }, n);
    },
  });
  new Counter({
    name: 'msnd_sb_messages_relayed_total',
    help: 'Switchboard MSG lines relayed (once per sending)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(messageCount);
    },
  });
  new Counter({
    name: 'msnd_sb_relayed_bytes_total',
    help: 'Switchboard message payload bytes written to recipients',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(byteCount);
    },
  });
  new Counter({
    name: 'msnd_presence_events_total',
    help: 'Presence changes handed to signed-in sessions of this node',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(presenceCount);
    },
  });
  const outbox = new Counter({
    name: 'msnd_outbox_attempts_total',
    help: 'Outbox delivery attempts (e-mails and pages) by kind and outcome (delivered or failed)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const statements = new Histogram({
    name: 'msnd_store_statement_duration_seconds',
    help: 'Store (SQL) statement latency',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'msnd_build_info',
    help: 'The running msnd version (always 1)',
    labelNames: ['version', 'node'] as const,
    registers: [registry],
  }).set({ version: MSND_VERSION, node: process.version }, 1);
  new Gauge({
    name: 'msnd_sessions_online',
    help: 'Signed-in sessions on this node, by role (ns, sb) and dialect (NS only)',
    labelNames: ['role', 'dialect'] as const,
    registers: [registry],
    collect() {
      this.reset();
      if (!sources) return;
      for (const [dialect, count] of sources.nsSessions()) this.set({ role: 'ns', dialect }, count);
      this.set({ role: 'sb', dialect: '' }, sources.sbParticipants());
    },
  });
  new Gauge({
    name: 'msnd_sb_sessions',
    help: 'Switchboard sessions (chats) held by this node',
    registers: [registry],
    collect() {
      if (sources) this.set(sources.sbSessions());
    },
  });
  new Gauge({
    name: 'msnd_unauthenticated_connections',
    help: 'Connections not yet signed in, by admission pool (login: DS and NS; switchboard)',
    labelNames: ['pool'] as const,
    registers: [registry],
    collect() {
      for (const [pool, stats] of Object.entries(sources?.pools() ?? {})) this.set({ pool }, stats.open);
    },
  });
  new Counter({
    name: 'msnd_unauthenticated_shed_total',
    help: 'Connections closed before sign-in because a pool was full, by pool and limit (address, total)',
    labelNames: ['pool', 'limit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [pool, stats] of Object.entries(sources?.pools() ?? {})) {
        this.inc({ pool, limit: 'address' }, stats.shedPerAddress);
        this.inc({ pool, limit: 'total' }, stats.shedTotal);
      }
    },
  });
  const busSeconds = new Gauge({
    name: 'msnd_bus_round_trip_seconds',
    help: 'Duration of one bus request, measured at this scrape (-1: the bus did not answer)',
    registers: [registry],
  });
  const busNodes = new Gauge({
    name: 'msnd_cluster_nodes',
    help: 'Live msnd nodes on the bus (1 without a cluster)',
    registers: [registry],
  });
  const outboxItems = new Gauge({
    name: 'msnd_outbox_items',
    help: 'Outbox items not delivered, by kind and state (waiting: will be tried; given-up: attempts exhausted)',
    labelNames: ['kind', 'state'] as const,
    registers: [registry],
  });
  const alertsPending = new Gauge({
    name: 'msnd_alerts_pending',
    help: 'Alert copies stored and not yet delivered to their recipient',
    registers: [registry],
  });
  const label = (name: string) => (/^[A-Z]{3}$/.test(name) ? name : 'other');
  return {
    registry,
    contentType: registry.contentType,
    attach(s) {
      sources = s;
    },
    async scrape() {
      if (sources) {
        const probe = await sources.busProbe().catch(() => undefined);
        busSeconds.set(probe?.seconds ?? -1);
        if (probe) busNodes.set(probe.nodes);
        const backlog = await sources.backlog().catch(() => undefined);
        outboxItems.reset();
        if (backlog) {
          for (const kind of ['email', 'page']) for (const state of ['waiting', 'given-up']) outboxItems.set({ kind, state }, 0);
          for (const { kind, state, count } of backlog.outbox) outboxItems.set({ kind, state }, count);
          alertsPending.set(backlog.pendingAlerts);
        }
      }
      return Registry.merge([defaultMetrics(), registry]).metrics();
    },
    commandReceived(role, name, known) {
      commandCounts.add(role, known ? label(name) : 'unknown');
    },
    errorSent: (role, code) => errors.inc({ role, code: String(code) }),
    connectionClosed: (role, reason) => closeCounts.add(role, closeReasonLabel(reason)),
    login(outcome) {
      const key = String(outcome);
      loginCounts.set(key, (loginCounts.get(key) ?? 0) + 1);
    },
    messageRelayed(size, recipients) {
      messageCount += 1;
      byteCount += size * recipients;
    },
    presenceEvent: () => {
      presenceCount += 1;
    },
    outbox: (kind, outcome) => outbox.inc({ kind, outcome }),
    storeStatement: (seconds, failed) => statements.observe({ outcome: failed ? 'error' : 'ok' }, seconds),
  };
}
