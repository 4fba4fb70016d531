import type { Tallies } from '../../core/bus.ts';
import { TALLY_BUCKETS, tallyBucket } from '../../core/rate.ts';
import type { RedisLink } from './link.ts';
import { TALLY_ADD, TALLY_COUNTS } from './scripts.ts';

/**
 * At most this long between an event and its write to Redis: a node's events of that time go in
 * one call per tally and bucket (a sign-in counted for the dashboard was a Redis call of its own).
 * Never longer than a bucket, so that events are written while their bucket is still counted.
 */
const TALLY_FLUSH_MS = 250;

/** The events of one tally and bucket not yet written, and who waits for them. */
interface PendingEvents {
  key: string;
  windowMs: number;
  bucket: number;
  count: number;
  written: Promise<void>;
  settle: { resolve(): void; reject(err: unknown): void };
}

/**
 * Tallies in Redis: a hash per key, one field per bucket (scripts.ts). The buckets are numbered by
 * each node's clock, as the rates' event times are. `add` resolves once its event is in Redis.
 */
export class RedisTallies implements Tallies {
  private pending = new Map<string, PendingEvents>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly link: RedisLink) {}

  add(key: string, windowMs: number): Promise<void> {
    const bucket = tallyBucket(Date.now(), windowMs);
    const id = `${windowMs} ${bucket} ${key}`;
    let events = this.pending.get(id);
    if (!events) {
      let settle!: PendingEvents['settle'];
      const written = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      events = { key, windowMs, bucket, count: 0, written, settle };
      this.pending.set(id, events);
    }
    events.count++;
    this.timer ??= setTimeout(() => void this.flush(), Math.min(TALLY_FLUSH_MS, windowMs / TALLY_BUCKETS));
    return events.written;
  }

  /** Writes the events added so far (each batch's callers learn of its failure). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    await Promise.all(batch.map((events) => this.write(events)));
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

  private async write({ key, windowMs, bucket, count, settle }: PendingEvents): Promise<void> {
    const ttlMs = Math.ceil(windowMs + windowMs / TALLY_BUCKETS);
    try {
      await this.link.guard(this.link.run(TALLY_ADD, [this.key(key)], [bucket, bucket - TALLY_BUCKETS + 1, ttlMs, count]));
      settle.resolve();
    } catch (err) {
      settle.reject(err);
    }
  }

  private key(key: string): string {
    return `${this.link.prefix}tally:${key}`;
  }
}
