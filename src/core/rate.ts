import type { RateCounter } from './bus.ts';

/** Counts events per key within a sliding time window (rate limits of MSNP5.md 14). */
export class SlidingWindow {
  private readonly events = new Map<string, number[]>();
  private addsSinceSweep = 0;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(key: string): void {
    const recent = this.recent(key);
    recent.push(this.now());
    this.events.set(key, recent);
    if (++this.addsSinceSweep >= 1000) this.sweep();
  }

  /** Forgets keys whose events have all left the window, so that many keys cannot pile up. */
  private sweep(): void {
    this.addsSinceSweep = 0;
    for (const key of [...this.events.keys()]) this.count(key);
  }

  count(key: string): number {
    const recent = this.recent(key);
    if (recent.length === 0) this.events.delete(key);
    else this.events.set(key, recent);
    return recent.length;
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.events.get(key) ?? []).filter((t) => t > cutoff);
  }
}

/** One limit of one key on a rate counter: whether it is used up, and counting one more use. */
export function rateLimit(rates: RateCounter, key: string, limit: number, windowMs: number) {
  return {
    usedUp: async (): Promise<boolean> => (await rates.count(key, windowMs)) >= limit,
    use: (): Promise<void> => rates.add(key, windowMs),
  };
}
