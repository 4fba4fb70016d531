// What the load generator's drivers share: where the server is, credentials, the measured window.
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import type { Connector } from '../../src/client/transport.ts';
import { webSocketConnector, type WebSocketLike } from '../../src/client/websocket.ts';
import type { HistogramData } from '../lib/histogram.ts';
import { CpuMeter } from '../lib/ipc.ts';

/** The server under test (msnd) or the raw baseline, on loopback. */
export interface Target {
  kind: 'msnd' | 'raw';
  host: string;
  ports: { ds: number; ns: number; sb: number; http?: number };
  /** Set: reach every server through the web Messenger's WebSockets (`<base><role>`) instead of TCP. */
  webSocketBase?: string;
}

/** The same msnd, reached through its web server's WebSockets (/messenger/ws/ds, ns, sb). */
export function overWebSocket(target: Target): Target {
  if (target.ports.http === undefined) throw new Error('the server under test reported no web port');
  return { ...target, webSocketBase: `ws://${target.host}:${target.ports.http}/messenger/ws/` };
}

/** The connector of a target: undefined (TCP) unless it is reached over WebSocket. */
export function connectorOf(target: Target): Connector | undefined {
  const base = target.webSocketBase;
  if (base === undefined) return undefined;
  return webSocketConnector(
    (to) => base + to.role + (to.role === 'sb' ? `?at=${encodeURIComponent(`${to.host}:${to.port}`)}` : ''),
    (url, { localAddress }) => new WebSocket(url, { localAddress }) as unknown as WebSocketLike,
  );
}

export interface Credentials {
  handle: string;
  password: string;
}

/** A run: `warmupMs` not counted, then `durationMs` counted. */
export interface RunWindow {
  warmupMs: number;
  durationMs: number;
}

export interface RunResult {
  /** operations completed inside the measured window */
  count: number;
  errors: number;
  firstError?: string;
  latency: HistogramData;
  /** this generator's CPU during the measured window, percent of one core */
  cpuPct: number;
  measuredMs: number;
}

/** Source addresses handed out in turn, so that no single 127.0.0.x runs out of ports. */
export class AddressPool {
  private next = 0;

  constructor(private readonly addresses: readonly string[]) {}

  take(): string | undefined {
    if (this.addresses.length === 0) return undefined;
    return this.addresses[this.next++ % this.addresses.length];
  }
}

/** Timing of a measured window; CPU is sampled at its start and end. */
export class Window {
  readonly start = performance.now();
  readonly from: number;
  readonly end: number;
  private readonly cpu = new CpuMeter();
  private cpuPct: number | undefined;
  private readonly timers: NodeJS.Timeout[];
  private readonly ended = new AbortController();

  constructor(w: RunWindow) {
    this.from = this.start + w.warmupMs;
    this.end = this.from + w.durationMs;
    this.timers = [
      setTimeout(() => this.cpu.reset(), w.warmupMs),
      setTimeout(() => (this.cpuPct = this.cpu.percent()), w.warmupMs + w.durationMs),
    ];
  }

  get over(): boolean {
    return performance.now() >= this.end;
  }

  /** Whether an operation that completed at `t` counts. */
  counts(t: number): boolean {
    return t >= this.from && t < this.end;
  }

  /** Ends the window before its time: a run bounded by a count (as in tests) is over when the count is reached. */
  endNow(): void {
    this.ended.abort();
  }

  /** Waits for the end of the window (or endNow()); returns the CPU share measured in it. */
  async finished(): Promise<number> {
    const left = this.end - performance.now();
    if (left > 0) await sleep(left + 5, undefined, { signal: this.ended.signal }).catch(() => {});
    for (const t of this.timers) clearTimeout(t);
    return this.cpuPct ?? this.cpu.percent();
  }
}

/** Runs `task` over `items` with at most `concurrency` at a time; collects failures instead of throwing. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<{ failed: number; firstError?: string }> {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return firstError === undefined ? { failed } : { failed, firstError };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
