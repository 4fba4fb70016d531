import type { RateCounter } from './bus.ts';

/**
 * Counts events per key within a sliding time window (rate limits of MSNP5.md 14; the admin
 * dashboard's sign-ins of the last hour). Each key's times are in the order they happened, so the
 * ones that left the window are a prefix, found by bisection and cut off in bulk: an add or a count
 * costs O(log n), not a pass over every event of the window (an hour of sign-ins on a busy node).
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

/** One limit of one key on a rate counter: whether it is used up, and counting one more use. */
export function rateLimit(rates: RateCounter, key: string, limit: number, windowMs: number) {
  return {
    usedUp: async (): Promise<boolean> => (await rates.count(key, windowMs)) >= limit,
    use: (): Promise<void> => rates.add(key, windowMs),
  };
}
