// The NS's background workers: the outbox (e-mails and pages) and the alert poller.
import type { Logger } from 'pino';
import { expireAlerts, deliverPendingAlerts, oldestLiveAlert } from '../../core/alerts.ts';
import { Outbox, type OutboxEvent, OutboxWorker } from '../../core/outbox.ts';
import type { Store } from '../../core/store.ts';
import { createDelivery, outboxFolderOf } from '../../mail/index.ts';
import type { ServerConfig } from '../config.ts';
import type { ServerMetrics } from '../metrics.ts';
import { alertRecipient } from './alerts.ts';
import type { NsContext } from './context.ts';

export interface WorkerParts {
  config: ServerConfig;
  store: Store;
  log: Logger;
  metrics: ServerMetrics;
  /** The NS sessions of this node (the alert poller delivers to them). */
  sessions(): Iterable<NsContext>;
  /** msnd's web server as clients reach it, without a trailing slash. */
  webUrl(): string;
}

export interface RunningWorkers {
  outbox: Outbox;
  /** Delivers alerts to this node's signed-in users now (e.g. after the admin API stored one). */
  pollAlerts(): Promise<void>;
  stop(): Promise<void>;
  /** Starts polling for alerts; called once the web server (whose URL alerts link to) is up. */
  startAlertPoller(): void;
}

/** Starts the outbox worker of this node and makes its alert poller (started by startAlertPoller). */
export function startWorkers(parts: WorkerParts): RunningWorkers {
  const { config, store, log } = parts;
  const delivery = createDelivery({
    smtp: config.smtp,
    mailFrom: config.mailFrom,
    pageGateway: config.pageGateway,
    outboxFolder: outboxFolderOf(config.dataDir),
    timeoutMs: config.limits.deliveryTimeoutMs,
  });
  const outbox = new Outbox(store);
  const worker = new OutboxWorker(store, delivery.mailer, delivery.pages, outboxSettings(config), logOutbox(log, parts.metrics));
  outbox.onQueued(() => worker.wake());
  worker.start();
  const poller = new AlertPoller(parts);
  return {
    outbox,
    pollAlerts: () => poller.round(),
    startAlertPoller: () => poller.start(),
    async stop() {
      poller.stop();
      await worker.stop();
      delivery.close();
    },
  };
}

function outboxSettings(config: ServerConfig) {
  const { outboxPollMs, outboxRetryMs, outboxAttempts, deliveryTimeoutMs } = config.limits;
  // An attempt holds its item a while longer than it may take, so no other worker starts it meanwhile.
  return { pollMs: outboxPollMs, retryMs: outboxRetryMs, maxAttempts: outboxAttempts, leaseMs: 4 * deliveryTimeoutMs };
}

function logOutbox(log: Logger, metrics: ServerMetrics): (event: OutboxEvent) => void {
  return (event) => {
    if (event.kind !== 'unavailable') metrics.outbox(event.item.kind, event.kind === 'sent' ? 'delivered' : 'failed');
    if (event.kind === 'sent') log.info({ outbox: event.item.id, kind: event.item.kind }, 'outbox item delivered');
    else if (event.kind === 'failed')
      log.warn({ outbox: event.item.id, err: event.error, retryAt: event.retryAt }, 'outbox delivery failed');
    else log.error({ err: event.error }, 'outbox unavailable');
  };
}

/**
 * Looks in the store about once a second for alerts to this node's signed-in users. Polling,
 * because alerts are written by another process (`msnd alert send`) that has no way to reach this
 * one but the shared store; the same works for every node of a cluster.
 */
const EXPIRY_CHECK_MS = 60_000;

class AlertPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly parts: WorkerParts) {}

  start(): void {
    this.timer = setInterval(() => void this.round(), this.parts.config.limits.alertPollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private lastExpiry = 0;

  /** About once a minute (and at the first round): expiring is not worth a statement every second. */
  private async expire(): Promise<void> {
    const now = Date.now();
    if (now - this.lastExpiry < EXPIRY_CHECK_MS) return;
    this.lastExpiry = now;
    const expired = await expireAlerts(this.parts.store, now, this.parts.config.limits.alertLifetimeMs);
    if (expired > 0) this.parts.log.info({ expired }, 'alerts expired');
  }

  /** One delivery round; a round asked for while one runs joins it. */
  round(): Promise<void> {
    this.running ??= this.deliver().finally(() => (this.running = undefined));
    return this.running;
  }

  private async deliver(): Promise<void> {
    const recipients = [...this.parts.sessions()].map(alertRecipient).filter((r) => r !== undefined);
    try {
      await this.expire();
      const notBefore = oldestLiveAlert(Date.now(), this.parts.config.limits.alertLifetimeMs);
      await deliverPendingAlerts(this.parts.store, recipients, `${this.parts.webUrl()}/`, notBefore);
    } catch (error) {
      this.parts.log.error({ err: error }, 'alert delivery failed');
    }
  }
}
