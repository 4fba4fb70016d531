// Received commands waiting to be taken, and the waits for them.
import { ConnectionClosedError, WaitTimeoutError } from './errors.ts';
import { describeMatcher, toPredicate } from './received.ts';
import type { Matcher, Received } from './received.ts';

interface Waiter {
  matcher: Matcher | undefined;
  matches: (r: Received) => boolean;
  resolve: (r: Received) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const RECENT_KEPT = 20;
const SHOWN_IN_ERRORS = 20;

/**
 * A FIFO of received commands. A waiter takes the first matching command, removing it; a command
 * nobody waits for stays in the inbox, up to `limit` commands (then the oldest is dropped).
 */
export class Inbox {
  /** most unclaimed commands kept; a bound for long-running bots that never read the inbox */
  limit = Infinity;
  #items: Received[] = [];
  #waiters: Waiter[] = [];
  #watchers = new Set<(r: Received) => void>();
  #recent: Received[] = [];
  #closedBecause: string | undefined;

  get size(): number {
    return this.#items.length;
  }

  deliver(r: Received): void {
    this.#remember(r);
    for (const watch of this.#watchers) watch(r);
    const waiter = this.#waiters.find((w) => w.matches(r));
    if (waiter) this.#settle(waiter, () => waiter.resolve(r));
    else this.#keep(r);
  }

  /** Takes the first matching command, waiting up to timeoutMs for one to arrive. */
  take(matcher: Matcher | undefined, timeoutMs: number): Promise<Received> {
    const matches = toPredicate(matcher);
    const index = this.#items.findIndex(matches);
    if (index !== -1) return Promise.resolve(this.#items.splice(index, 1)[0] as Received);
    if (this.#closedBecause !== undefined) {
      return Promise.reject(new ConnectionClosedError(this.#closedMessage(matcher)));
    }
    return new Promise((resolve, reject) => {
      const timedOut = (): void => {
        this.#settle(waiter, () => reject(new WaitTimeoutError(this.#timeoutMessage(matcher, timeoutMs))));
      };
      const waiter: Waiter = { matcher, matches, resolve, reject, timer: setTimeout(timedOut, timeoutMs) };
      this.#waiters.push(waiter);
    });
  }

  /** Resolves after ms if no matching command is in the inbox or arrives meanwhile; rejects at the first one. */
  expectNothing(matcher: Matcher | undefined, ms: number): Promise<void> {
    const matches = toPredicate(matcher);
    const present = this.#items.find(matches);
    if (present) return Promise.reject(new Error(`expected nothing, but "${present.line}" is in the inbox`));
    return new Promise((resolve, reject) => {
      const watch = (r: Received): void => {
        if (!matches(r)) return;
        finish();
        reject(new Error(`expected nothing${forMatcher(matcher)} within ${ms}ms, but received "${r.line}"`));
      };
      const timer = setTimeout(() => {
        finish();
        resolve();
      }, ms);
      const finish = (): void => {
        clearTimeout(timer);
        this.#watchers.delete(watch);
      };
      this.#watchers.add(watch);
    });
  }

  drain(): Received[] {
    return this.#items.splice(0);
  }

  /** Every pending and later wait that finds nothing fails with ConnectionClosedError. */
  close(reason: string): void {
    if (this.#closedBecause !== undefined) return;
    this.#closedBecause = reason;
    for (const waiter of [...this.#waiters]) {
      const error = new ConnectionClosedError(this.#closedMessage(waiter.matcher));
      this.#settle(waiter, () => waiter.reject(error));
    }
  }

  #keep(r: Received): void {
    this.#items.push(r);
    if (this.#items.length > this.limit) this.#items.shift();
  }

  #settle(waiter: Waiter, settle: () => void): void {
    clearTimeout(waiter.timer);
    const index = this.#waiters.indexOf(waiter);
    if (index !== -1) this.#waiters.splice(index, 1);
    settle();
  }

  #remember(r: Received): void {
    this.#recent.push(r);
    if (this.#recent.length > RECENT_KEPT) this.#recent.shift();
  }

  #timeoutMessage(matcher: Matcher | undefined, timeoutMs: number): string {
    return `timed out after ${timeoutMs}ms waiting for ${describeMatcher(matcher)}; ${this.#state()}`;
  }

  #closedMessage(matcher: Matcher | undefined): string {
    return `connection closed (${this.#closedBecause}) while waiting for ${describeMatcher(matcher)}; ${this.#state()}`;
  }

  /** What was received, for error messages. */
  #state(): string {
    return `unclaimed: ${listLines(this.#items)}; last received: ${listLines(this.#recent)}`;
  }
}

function listLines(items: readonly Received[]): string {
  if (items.length === 0) return '(none)';
  const shown = items.slice(-SHOWN_IN_ERRORS).map((r) => JSON.stringify(r.line));
  const skipped = items.length - shown.length;
  return `[${skipped > 0 ? `…${skipped} more, ` : ''}${shown.join(', ')}]`;
}

function forMatcher(matcher: Matcher | undefined): string {
  return matcher === undefined ? '' : ` matching ${describeMatcher(matcher)}`;
}
