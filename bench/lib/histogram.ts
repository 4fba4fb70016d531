// Latency histogram with log-spaced buckets (2% wide): mergeable across processes, small on IPC.

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** values are recorded in microseconds; the first bucket holds everything up to 1 µs */
const MIN_US = 1;

export interface HistogramData {
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
  /** [bucket index, count] pairs */
  buckets: [number, number][];
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class Histogram {
  count = 0;
  sumUs = 0;
  minUs = Infinity;
  maxUs = 0;
  readonly #buckets = new Map<number, number>();

  /** Records one latency given in milliseconds. */
  recordMs(ms: number): void {
    const us = Math.max(ms * 1000, MIN_US);
    const index = Math.ceil(Math.log(us / MIN_US) / LOG_GROWTH);
    this.#buckets.set(index, (this.#buckets.get(index) ?? 0) + 1);
    this.count++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  merge(other: Histogram | HistogramData): this {
    const data = other instanceof Histogram ? other.toJSON() : other;
    for (const [index, n] of data.buckets) this.#buckets.set(index, (this.#buckets.get(index) ?? 0) + n);
    this.count += data.count;
    this.sumUs += data.sumUs;
    if (data.count > 0) {
      this.minUs = Math.min(this.minUs, data.minUs);
      this.maxUs = Math.max(this.maxUs, data.maxUs);
    }
    return this;
  }

  static from(data: HistogramData): Histogram {
    return new Histogram().merge(data);
  }

  /** The q-quantile (0 < q ≤ 1) in milliseconds: the upper edge of its bucket, capped at the maximum. */
  quantileMs(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const index of [...this.#buckets.keys()].sort((a, b) => a - b)) {
      seen += this.#buckets.get(index)!;
      if (seen >= rank) return Math.min(MIN_US * GROWTH ** index, this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      meanMs: this.count === 0 ? NaN : this.sumUs / this.count / 1000,
      p50Ms: this.quantileMs(0.5),
      p99Ms: this.quantileMs(0.99),
      maxMs: this.count === 0 ? NaN : this.maxUs / 1000,
    };
  }

  toJSON(): HistogramData {
    return {
      count: this.count,
      sumUs: this.sumUs,
      minUs: this.count === 0 ? 0 : this.minUs,
      maxUs: this.maxUs,
      buckets: [...this.#buckets.entries()],
    };
  }
}
