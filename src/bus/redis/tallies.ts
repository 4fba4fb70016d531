import type { Tallies } from '../../core/bus.ts';
import { TALLY_BUCKETS, tallyBucket } from '../../core/rate.ts';
import type { RedisLink } from './link.ts';
import { TALLY_ADD, TALLY_COUNTS } from './scripts.ts';

/**
 * Tallies in Redis: a hash per key, one field per bucket (scripts.ts). The buckets are numbered by
 * each node's clock, as the rates' event times are.
 */
export class RedisTallies implements Tallies {
  constructor(private readonly link: RedisLink) {}

  async add(key: string, windowMs: number): Promise<void> {
    const bucket = tallyBucket(Date.now(), windowMs);
    const ttlMs = Math.ceil(windowMs + windowMs / TALLY_BUCKETS);
    await this.link.guard(this.link.run(TALLY_ADD, [this.key(key)], [bucket, bucket - TALLY_BUCKETS + 1, ttlMs]));
  }

  async count(keys: readonly string[], windowMs: number): Promise<number[]> {
    const oldest = tallyBucket(Date.now(), windowMs) - TALLY_BUCKETS + 1;
    const counts = (await this.link.guard(
      this.link.run(
        TALLY_COUNTS,
        keys.map((key) => this.key(key)),
        [oldest],
      ),
    )) as number[];
    return counts.map(Number);
  }

  private key(key: string): string {
    return `${this.link.prefix}tally:${key}`;
  }
}
