// The garbage collector's pauses of this process's main thread (perf_hooks 'gc' entries) since the
// last reset: a pause holds every event the process has to handle (the tail of a fan-out's latency).
import { PerformanceObserver } from 'node:perf_hooks';

export interface GcPauseSummary {
  count: number;
  totalMs: number;
  longestMs: number;
}

export class GcPauses {
  private summary: GcPauseSummary = { count: 0, totalMs: 0, longestMs: 0 };

  constructor() {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.add(entry.duration);
    }).observe({ entryTypes: ['gc'] });
  }

  reset(): void {
    this.summary = { count: 0, totalMs: 0, longestMs: 0 };
  }

  read(): GcPauseSummary {
    return { ...this.summary };
  }

  private add(ms: number): void {
    this.summary.count += 1;
    this.summary.totalMs += ms;
    this.summary.longestMs = Math.max(this.summary.longestMs, ms);
  }
}
