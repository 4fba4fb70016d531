import { randomBytes } from 'node:crypto';
import type { RateCounter } from '../../core/bus.ts';
import type { RedisLink } from './link.ts';
import { RATE_ADD, RATE_COUNTS } from './scripts.ts';

interface Count {
  key: string;
  since: number;
  resolve(count: number): void;
  reject(error: unknown): void;
}

/**
 * Rates in Redis: a sorted set of event times per key (all nodes count). A count reads only
 * (ZCOUNT), and the counts asked for in one run of the event loop (the three failed-login limits of
 * a sign-in) go to Redis in one script call; each add trims what left the window, so a key holds at
 * most one window of events even if nobody counts it.
 */
export class RedisRates implements RateCounter {
  private counts: Count[] = [];

  constructor(private readonly link: RedisLink) {}

  count(key: string, windowMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const since = Date.now() - windowMs;
      if (this.counts.push({ key: this.key(key), since, resolve, reject }) === 1) queueMicrotask(() => void this.countAll());
    });
  }

  async add(key: string, windowMs: number): Promise<void> {
    const now = Date.now();
    const event = `${now}-${randomBytes(4).toString('hex')}`;
    await this.link.guard(this.link.run(RATE_ADD, [this.key(key)], [now, event, now - windowMs, windowMs]));
  }

  private async countAll(): Promise<void> {
    const batch = this.counts.splice(0);
    try {
      // An event counts until the window has passed over it, and not at its end: times after `since`.
      const keys = batch.map((count) => count.key);
      const results = (await this.link.guard(
        this.link.run(
          RATE_COUNTS,
          keys,
          batch.map(({ since }) => `(${since}`),
        ),
      )) as number[];
      for (const [i, count] of batch.entries()) count.resolve(Number(results[i] ?? 0));
    } catch (error) {
      for (const count of batch) count.reject(error);
    }
  }

  private key(key: string): string {
    return `${this.link.prefix}rate:${key}`;
  }
}
