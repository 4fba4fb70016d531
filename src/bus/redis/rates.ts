import { randomBytes } from 'node:crypto';
import type { RateCounter } from '../../core/bus.ts';
import { execAll, type RedisLink } from './link.ts';

/** Rates in Redis: a sorted set of event times per key, trimmed to the window (all nodes count). */
export class RedisRates implements RateCounter {
  constructor(private readonly link: RedisLink) {}

  async count(key: string, windowMs: number): Promise<number> {
    const results = await this.link.guard(
      execAll(
        this.link.redis
          .multi()
          .zremrangebyscore(this.key(key), 0, Date.now() - windowMs)
          .zcard(this.key(key)),
      ),
    );
    return Number(results[1] ?? 0);
  }

  async add(key: string, windowMs: number): Promise<void> {
    const now = Date.now();
    const event = `${now}-${randomBytes(4).toString('hex')}`;
    await this.link.guard(execAll(this.link.redis.multi().zadd(this.key(key), now, event).pexpire(this.key(key), windowMs)));
  }

  private key(key: string): string {
    return `${this.link.prefix}rate:${key}`;
  }
}
