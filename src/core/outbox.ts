// The outbox of e-mails (SDC/SND) and pages (PAG): durable rows in the store, delivered with
// retries by a worker through the Mailer and PageGateway an adapter provides (DESIGN.md "Data").
import type { NewOutboxItem, OutboxItem, Store } from './store.ts';

/** An e-mail as core hands it to a mailer; the mailer adds the operator's From address. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  replyTo?: string;
}

export interface Mailer {
  /** Resolves once the message is handed on (SMTP accepted it, or the file is written). */
  send(mail: OutgoingMail): Promise<void>;
}

/** A page to a mobile device (MSNP5.md 9.20). */
export interface OutgoingPage {
  /** Digits of the recipient's mobile number. */
  to: string;
  /** The sender's handle. */
  from: string;
  subject: string;
  text: string;
  /** Call-back digits, or ''. */
  callback: string;
}

export interface PageGateway {
  /** Resolves once the gateway took the page; rejects when it refused it (then it is retried). */
  deliver(page: OutgoingPage): Promise<void>;
}

export interface OutboxSettings {
  /** How often the worker looks for due items when nobody woke it. */
  pollMs: number;
  /** Delay before the first retry; doubled for each further one. */
  retryMs: number;
  /** Attempts per item before it is given up. */
  maxAttempts: number;
  /** How long one attempt may hold an item before another worker may take it. */
  leaseMs: number;
}

export type OutboxEvent =
  | { kind: 'sent'; item: OutboxItem }
  | { kind: 'failed'; item: OutboxItem; error: string; retryAt: number | null }
  /** The store could not be read; the next round tries again. */
  | { kind: 'unavailable'; error: string };

/** Queues outgoing items: each `queue` resolves once the row is committed (MSNP5.md 9.19). */
export class Outbox {
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async queue(item: NewOutboxItem): Promise<number> {
    const id = await this.store.enqueueOutbox(item, this.now());
    for (const listener of this.listeners) listener();
    return id;
  }

  onQueued(listener: () => void): void {
    this.listeners.push(listener);
  }
}

/** Takes due items from the store outbox and delivers them, one at a time, with retries. */
export class OutboxWorker {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private state: 'idle' | 'running' | 'stopped' = 'idle';

  constructor(
    private readonly store: Store,
    private readonly mailer: Mailer,
    private readonly pages: PageGateway,
    private readonly settings: OutboxSettings,
    private readonly report: (event: OutboxEvent) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.state = 'running';
    this.wake();
  }

  /** Runs a delivery round now (or right after the current one). */
  wake(): void {
    if (this.state !== 'running') return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.round().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  /** Stops the worker; resolves when the delivery in progress, if any, has finished. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    await this.running;
  }

  /** Delivers every item that is due; returns how many were attempted. */
  async deliverDue(): Promise<number> {
    let attempted = 0;
    for (let item = await this.next(); item; item = await this.next()) {
      attempted += 1;
      await this.attempt(item);
    }
    return attempted;
  }

  private schedule(): void {
    if (this.state !== 'running') return;
    if (this.again) {
      this.again = false;
      this.wake();
      return;
    }
    this.timer = setTimeout(() => this.wake(), this.settings.pollMs);
    this.timer.unref?.();
  }

  private async round(): Promise<void> {
    try {
      await this.deliverDue();
    } catch (error) {
      this.report({ kind: 'unavailable', error: describe(error) });
    }
  }

  private next(): Promise<OutboxItem | undefined> {
    if (this.state === 'stopped') return Promise.resolve(undefined);
    return this.store.nextOutbox(this.now(), this.settings.leaseMs);
  }

  private async attempt(item: OutboxItem): Promise<void> {
    try {
      await this.send(item);
      await this.store.markOutboxSent(item.id, this.now());
      this.report({ kind: 'sent', item });
    } catch (error) {
      const retryAt = item.attempts < this.settings.maxAttempts ? this.now() + this.backoff(item.attempts) : null;
      await this.store.markOutboxFailed(item.id, describe(error), retryAt);
      this.report({ kind: 'failed', item, error: describe(error), retryAt });
    }
  }

  private send(item: OutboxItem): Promise<void> {
    if (item.kind === 'email') {
      return this.mailer.send({ to: item.recipient, subject: item.subject, text: item.body, replyTo: item.sender || undefined });
    }
    const { recipient: to, sender: from, subject, body: text, callback } = item;
    return this.pages.deliver({ to, from, subject, text, callback });
  }

  private backoff(attempts: number): number {
    return this.settings.retryMs * 2 ** Math.max(0, attempts - 1);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
