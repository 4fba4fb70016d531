import type { RateCounter } from './bus.ts';

/**
 * Counts events per key within a sliding time window (rate limits of MSNP5.md 14). Each key's times
 * are in the order they happened, so the ones that left the window are a prefix, found by bisection
 * and cut off in bulk: an add or a count costs O(log n), not a pass over every event of the window.
 */
export class SlidingWindow {
  private readonly events = new Map<string, number[]>();
  private addsSinceSweep = 0;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(key: string): void {
    const now = this.now();
    const times = this.events.get(key);
    if (times && this.prune(key, times, now) > 0) times.push(now);
    else this.events.set(key, [now]);
    if (++this.addsSinceSweep >= 1000) this.sweep();
  }

  /** Forgets keys whose events have all left the window, so that many keys cannot pile up. */
  private sweep(): void {
    this.addsSinceSweep = 0;
    for (const key of [...this.events.keys()]) this.count(key);
  }

  count(key: string): number {
    const times = this.events.get(key);
    return times ? this.prune(key, times, this.now()) : 0;
  }

  /** The events of `key` still in the window; those that left it go once they are many or most. */
  private prune(key: string, times: number[], now: number): number {
    const gone = firstAfter(times, now - this.windowMs);
    const live = times.length - gone;
    if (live === 0) this.events.delete(key);
    else if (gone >= 64 || gone >= live) times.splice(0, gone);
    return live;
  }
}

/** The index of the first time after `cutoff` in ascending `times` (its length if none). */
function firstAfter(times: number[], cutoff: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (times[mid]! <= cutoff) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Buckets a Tallies window is counted in (Tallies in bus.ts). */
export const TALLY_BUCKETS = 60;

/** The bucket `now` falls in, for a window of `windowMs`: buckets are numbered from the epoch. */
export function tallyBucket(now: number, windowMs: number): number {
  return Math.floor(now / (windowMs / TALLY_BUCKETS));
}

/** Tallies in one process: per window and key, the count of each bucket still counted. */
export class TallyBuckets {
  private readonly counts = new Map<string, Map<number, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  add(key: string, windowMs: number): void {
    const bucket = tallyBucket(this.now(), windowMs);
    const id = `${windowMs} ${key}`;
    let buckets = this.counts.get(id);
    if (!buckets) {
      buckets = new Map();
      this.counts.set(id, buckets);
    }
    const count = buckets.get(bucket);
    if (count !== undefined) {
      buckets.set(bucket, count + 1);
      return;
    }
    buckets.set(bucket, 1);
    for (const old of buckets.keys()) if (old <= bucket - TALLY_BUCKETS) buckets.delete(old);
  }

  count(key: string, windowMs: number): number {
    const oldest = tallyBucket(this.now(), windowMs) - TALLY_BUCKETS + 1;
    let total = 0;
    for (const [bucket, count] of this.counts.get(`${windowMs} ${key}`) ?? []) if (bucket >= oldest) total += count;
    return total;
  }
}

/** One limit of one key on a rate counter: whether it is used up, and counting one more use. */
export function rateLimit(rates: RateCounter, key: string, limit: number, windowMs: number) {
  return {
    usedUp: async (): Promise<boolean> => (await rates.count(key, windowMs)) >= limit,
    use: (): Promise<void> => rates.add(key, windowMs),
  };
}
