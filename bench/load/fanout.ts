// Scenario 4: presence fan-out (MSNP5.md 9.11, 9.13, 10; sessions.md session 7). One user with 150
// online watchers changes status; each watcher's NLN arrival is timed from the moment CHG was sent.
// The star and all watchers live in this process, so one clock times both ends.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import type { Received } from '../../src/client/received.ts';
import { Histogram, type HistogramData } from '../lib/histogram.ts';
import { CpuMeter } from '../lib/ipc.ts';
import { AddressPool, inParallel, type Credentials, type Target } from './common.ts';
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

let star: MsnpConnection | undefined;
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
  if (req.target.kind === 'msnd') {
    const client = await signIn(req.starTarget ?? req.target, req.star, addresses.take());
    clients.push(client);
    star = client.conn;
  } else {
    star = await MsnpConnection.connect(req.target.host, req.target.ports.ns, { localAddress: addresses.take(), inboxLimit: 10 });
    clients.push(star);
  }
  return { watchers: watchers.length, ...outcome };
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
    let last = 0;
    let allArrived: () => void = () => {};
    const everyone = new Promise<void>((resolve) => (allArrived = resolve));
    const t0 = performance.now();
    onArrival = (index, shown) => {
      if (shown !== status || seen[index]) return;
      seen[index] = 1;
      last = performance.now() - t0;
      if (counted) latency.recordMs(last);
      if (++arrived === watchers.length) allArrived();
    };
    const replied = star.request('CHG', status).then(() => counted && reply.recordMs(performance.now() - t0));
    await Promise.race([everyone, sleep(run.timeoutMs)]);
    await replied;
    if (counted) {
      if (arrived === watchers.length) allDelivered.recordMs(last);
      perChange.push(Math.round(last * 100) / 100);
      missing += watchers.length - arrived;
    }
    for (const w of watchers) w.drain();
    star.drain();
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
