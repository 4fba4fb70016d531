// Scenario 4: presence fan-out (MSNP5.md 9.11, 9.13, 10; sessions.md session 7). One user with 150
// online watchers changes status; each watcher's NLN arrival is timed from the moment CHG was sent.
// The watchers live in this process's main thread, the star in a worker thread of its own
// (fanout-star.ts), so that its reply is not timed behind the reading of the watchers' sockets;
// both ends are timed on the clock the threads share.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import type { Received } from '../../src/client/received.ts';
import { Histogram, type HistogramData } from '../lib/histogram.ts';
import { CpuMeter, threadScript } from '../lib/ipc.ts';
import { AddressPool, inParallel, type Credentials, type Target } from './common.ts';
import { sharedNow, type StarAnswer, type StarRequest } from './fanout-star.ts';
import { signIn } from './hold.ts';

export interface FanoutPrepare {
  target: Target;
  /** where the star signs in, when not at `target` (the cluster scenario: another node) */
  starTarget?: Target;
  star: Credentials;
  watchers: Credentials[];
  /** the handle NLN lines name for the star (msnd: the star's; raw: the canned one) */
  announcedAs: string;
  localAddresses: string[];
}

export interface FanoutRun {
  /** changes made first and not counted */
  warmup: number;
  changes: number;
  gapMs: number;
  timeoutMs: number;
}

export interface FanoutResult {
  changes: number;
  /** one sample per watcher and change */
  latency: HistogramData;
  /** per change: until the last watcher had it */
  allDelivered: HistogramData;
  /** CHG → the star's own reply */
  reply: HistogramData;
  /** per counted change, until the last watcher had it (ms), in order */
  perChange: number[];
  missing: number;
  cpuPct: number;
}

const STATUSES = ['AWY', 'BSY', 'BRB', 'PHN', 'LUN', 'NLN'];

let star: StarThread | undefined;
let watchers: MsnpConnection[] = [];
const clients: { close(): void }[] = [];
let announcedAs = '';
/** called with (watcher index, status) for each NLN of the star */
let onArrival: (index: number, status: string) => void = () => {};

export async function prepareFanout(req: FanoutPrepare): Promise<{ watchers: number; failed: number; firstError?: string }> {
  const addresses = new AddressPool(req.localAddresses);
  announcedAs = req.announcedAs;
  const connected: MsnpConnection[] = new Array(req.watchers.length);
  const outcome = await inParallel(req.watchers, 32, async (account, i) => {
    const conn = await openWatcher(req.target, account, addresses.take());
    conn.on('received', (r: Received) => {
      if (r.name === 'NLN' && r.args[1] === announcedAs) onArrival(i, r.args[0]!);
    });
    connected[i] = conn;
  });
  watchers = connected.filter((c) => c !== undefined);
  star = new StarThread();
  clients.push(star);
  await star.open({ kind: 'open', target: req.starTarget ?? req.target, star: req.star, localAddress: addresses.take() });
  return { watchers: watchers.length, ...outcome };
}

/** The star's worker thread (fanout-star.ts), asked one thing at a time. */
class StarThread {
  private readonly worker = new Worker(threadScript(fileURLToPath(new URL('./fanout-star.ts', import.meta.url))));

  async open(request: Extract<StarRequest, { kind: 'open' }>): Promise<void> {
    await this.ask(request);
  }

  /** CHG from the star: when it was sent (shared clock) and how long its reply took. */
  async change(status: string): Promise<{ sentAt: number; replyMs: number }> {
    const answer = await this.ask({ kind: 'change', status });
    if (answer.kind !== 'changed') throw new Error(`the star answered ${answer.kind} to a change`);
    return answer;
  }

  private async ask(request: StarRequest): Promise<StarAnswer> {
    this.worker.postMessage(request);
    const [answer] = (await once(this.worker, 'message')) as [StarAnswer];
    if (answer.kind === 'failed') throw new Error(`the star: ${answer.message}`);
    return answer;
  }

  close(): void {
    this.worker.postMessage({ kind: 'close' } satisfies StarRequest);
    void this.worker.terminate();
  }
}

async function openWatcher(target: Target, account: Credentials, localAddress: string | undefined): Promise<MsnpConnection> {
  if (target.kind === 'msnd') {
    const client: MsnClient = await signIn(target, account, localAddress);
    clients.push(client);
    return client.conn;
  }
  const conn = await MsnpConnection.connect(target.host, target.ports.ns, { localAddress, inboxLimit: 10 });
  clients.push(conn);
  await conn.request('SUB');
  return conn;
}

export async function runFanout(run: FanoutRun): Promise<FanoutResult> {
  if (!star) throw new Error('prepare the fan-out first');
  const latency = new Histogram();
  const allDelivered = new Histogram();
  const reply = new Histogram();
  const cpu = new CpuMeter();
  let missing = 0;
  const perChange: number[] = [];
  for (let k = 0; k < run.warmup + run.changes; k++) {
    const counted = k >= run.warmup;
    const status = STATUSES[k % STATUSES.length]!;
    const seen = new Uint8Array(watchers.length);
    let arrived = 0;
    let allArrived: () => void = () => {};
    const everyone = new Promise<void>((resolve) => (allArrived = resolve));
    const arrivals = new Float64Array(watchers.length);
    onArrival = (index, shown) => {
      if (shown !== status || seen[index]) return;
      seen[index] = 1;
      arrivals[index] = sharedNow();
      if (++arrived === watchers.length) allArrived();
    };
    const changed = await star.change(status);
    if (counted) reply.recordMs(changed.replyMs);
    await Promise.race([everyone, sleep(run.timeoutMs)]);
    let last = 0;
    for (let i = 0; i < watchers.length; i++) {
      if (!seen[i]) continue;
      const ms = arrivals[i]! - changed.sentAt;
      last = Math.max(last, ms);
      if (counted) latency.recordMs(ms);
    }
    if (counted) {
      if (arrived === watchers.length) allDelivered.recordMs(last);
      perChange.push(Math.round(last * 100) / 100);
      missing += watchers.length - arrived;
    }
    for (const w of watchers) w.drain();
    await sleep(run.gapMs);
  }
  onArrival = () => {};
  return {
    changes: run.changes,
    latency: latency.toJSON(),
    allDelivered: allDelivered.toJSON(),
    reply: reply.toJSON(),
    perChange,
    missing,
    cpuPct: cpu.percent(),
  };
}

export function closeFanout(): void {
  for (const c of clients.splice(0)) c.close();
  watchers = [];
  star = undefined;
}
