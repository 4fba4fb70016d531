// Scenario 2: switchboard relay (MSNP5.md 11; sessions.md session 12). Each pair: A opens a
// switchboard (XFR SB, USR), calls B (CAL → RNG on B's NS), B joins (ANS); then A sends 200-byte
// `MSG t A` with 8 in flight, B receives `MSG a name 200`, A gets `ACK t`. Latency: send → B's receipt.
// In a cluster B may be signed in on another node than A (`calleeTarget`): the RNG then crosses the
// bus, and B joins the switchboard on A's node.
import type { MsnClient } from '../../src/client/client.ts';
import type { SwitchboardInvitation } from '../../src/client/referrals.ts';
import { Histogram, type HistogramData } from '../lib/histogram.ts';
import { WireConnection, type CommandFrame } from '../lib/wire.ts';
import { AddressPool, Window, connectorOf, inParallel, type Credentials, type RunResult, type RunWindow, type Target } from './common.ts';
import { signIn } from './hold.ts';

export interface RelayPrepare {
  target: Target;
  /** msnd: the two accounts of each pair; raw: only the count matters */
  pairs: { a: Credentials; b: Credentials }[];
  /** distinguishes this generator's pairs on the raw server */
  keyPrefix: string;
  localAddresses: string[];
  /** msnd: where each pair's B signs in (another node of a cluster); absent: `target` */
  calleeTarget?: Target;
}

export interface RelayPrepared {
  pairs: number;
  failed: number;
  firstError?: string;
  /** msnd: each pair's chat set-up, from A's XFR SB to A's JOI for B */
  setupLatency: HistogramData;
}

export interface RelayRun extends RunWindow {
  /** messages in flight per sender */
  window: number;
  payloadBytes: number;
  /** ends the run once this many messages were delivered (tests); the window then only bounds a run that hangs */
  maxMessages?: number;
  /**
   * Messages begun per second by this generator, spread evenly over its pairs (each still at most
   * `window` in flight); absent: each sender sends again as soon as a message is acknowledged.
   */
  ratePerSecond?: number;
}

interface Pair {
  sender: WireConnection;
  receiver: WireConnection;
  ns: MsnClient[];
}

let pairs: Pair[] = [];

export async function prepareRelay(req: RelayPrepare): Promise<RelayPrepared> {
  const addresses = new AddressPool(req.localAddresses);
  const setup = new Histogram();
  const outcome = await inParallel(req.pairs, 16, async (pair, i) => {
    pairs.push(
      req.target.kind === 'msnd'
        ? await openMsndPair(req.target, req.calleeTarget ?? req.target, pair, addresses, setup)
        : await openRawPair(req.target, `${req.keyPrefix}-${i}`, addresses),
    );
  });
  return { pairs: pairs.length, ...outcome, setupLatency: setup.toJSON() };
}

async function openMsndPair(
  target: Target,
  calleeTarget: Target,
  { a, b }: { a: Credentials; b: Credentials },
  addresses: AddressPool,
  setup: Histogram,
): Promise<Pair> {
  const nsA = await signIn(target, a, addresses.take());
  const nsB = await signIn(calleeTarget, b, addresses.take());
  const t0 = performance.now();
  const ticket = await nsA.requestSwitchboard();
  const sender = await WireConnection.connect(ticket.host, ticket.port, addresses.take(), 10_000, connectorOf(target), 'sb');
  expect(await sender.request(`USR 1 ${a.handle} ${ticket.cookie}`), 'USR', 'OK');
  const ring = new Promise<SwitchboardInvitation>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no RNG for ${b.handle}`)), 10_000);
    nsB.once('ring', (invitation) => {
      clearTimeout(timer);
      resolve(invitation);
    });
  });
  expect(await sender.request(`CAL 2 ${b.handle}`), 'CAL', 'RINGING');
  const invitation = await ring;
  const receiver = await WireConnection.connect(
    invitation.host,
    invitation.port,
    addresses.take(),
    10_000,
    connectorOf(calleeTarget),
    'sb',
  );
  const joined = sender.next((f) => f.name === 'JOI');
  expect(await receiver.request(`ANS 1 ${b.handle} ${invitation.cookie} ${invitation.sessionId}`), 'ANS', 'OK');
  await joined;
  setup.recordMs(performance.now() - t0);
  return { sender, receiver, ns: [nsA, nsB] };
}

async function openRawPair(target: Target, key: string, addresses: AddressPool): Promise<Pair> {
  const sender = await WireConnection.connect(target.host, target.ports.sb, addresses.take());
  expect(await sender.request(`USR 1 ${key}`), 'USR', 'OK');
  const receiver = await WireConnection.connect(target.host, target.ports.sb, addresses.take());
  expect(await receiver.request(`ANS 1 ${key}`), 'ANS', 'OK');
  return { sender, receiver, ns: [] };
}

function expect(frame: CommandFrame, name: string, arg1: string): void {
  if (frame.name !== name || frame.args[1] !== arg1) throw new Error(`unexpected reply: ${frame.name} ${frame.args.join(' ')}`);
}

/** A standard instant message of `bytes` bytes (MSNP5.md 12.4). */
export function messagePayload(bytes: number): Buffer {
  const head =
    'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=MS%20Sans%20Serif; EF=; CO=0; CS=0; PF=0\r\n\r\n';
  if (bytes < head.length + 1) throw new Error(`a message needs at least ${head.length + 1} bytes`);
  return Buffer.from(head + 'x'.repeat(bytes - head.length), 'latin1');
}

export async function runRelay(run: RelayRun): Promise<RunResult & { sent: number; ackLatency: RunResult['latency'] }> {
  const payload = messagePayload(run.payloadBytes);
  const window = new Window(run);
  const delivery = new Histogram();
  const acked = new Histogram();
  let count = 0;
  let sent = 0;
  let errors = 0;
  let firstError: string | undefined;
  const maxPerPair = 10_000_000;
  const maxMessages = run.maxMessages ?? Number.POSITIVE_INFINITY;
  // Paced: each pair sends every `intervalMs`, the pairs' turns spread evenly over it.
  const intervalMs = run.ratePerSecond === undefined ? undefined : (pairs.length * 1000) / run.ratePerSecond;

  const drive = (pair: Pair, index: number): Promise<void> =>
    new Promise((resolve) => {
      const ackQueue: number[] = [];
      const deliveryQueue: number[] = [];
      let trid = 10;
      let acking = trid;
      const send = (): void => {
        const now = performance.now();
        ackQueue.push(now);
        deliveryQueue.push(now);
        sent++;
        pair.sender.write(Buffer.concat([Buffer.from(`MSG ${trid++} A ${payload.length}\r\n`, 'latin1'), payload]));
      };
      const more = (): boolean => !window.over && trid < maxPerPair && count < maxMessages;
      const settle = (): void => {
        if (!more()) {
          if (ackQueue.length === 0) resolve();
        } else if (intervalMs === undefined) send();
      };
      let nextAt = performance.now() + (intervalMs ?? 0) * (index / pairs.length);
      const sendOnTime = (): void => {
        if (!more()) return settle();
        if (ackQueue.length < run.window) send();
        // A turn that fell behind is taken at once, not caught up later in a burst.
        nextAt = Math.max(nextAt + intervalMs!, performance.now());
        setTimeout(sendOnTime, nextAt - performance.now());
      };
      pair.sender.onFrame = (f) => {
        const t0 = ackQueue.shift();
        // One connection's commands are answered in order (MSNP5.md 3.2).
        if (f.name === 'ACK' && t0 !== undefined && f.args[0] === String(acking++)) {
          const now = performance.now();
          if (window.counts(now)) acked.recordMs(now - t0);
        } else {
          errors++;
          firstError ??= `sender got ${f.name} ${f.args.join(' ')}`;
        }
        settle();
      };
      pair.receiver.onFrame = (f) => {
        const t0 = deliveryQueue.shift();
        if (f.name !== 'MSG' || t0 === undefined || f.payload?.length !== payload.length) {
          errors++;
          firstError ??= `receiver got ${f.name} ${f.args.join(' ')}`;
          return;
        }
        const now = performance.now();
        if (window.counts(now)) {
          count++;
          delivery.recordMs(now - t0);
          if (count === maxMessages) window.endNow();
        }
      };
      void pair.sender.whenClosed.then(() => resolve());
      if (intervalMs !== undefined) setTimeout(sendOnTime, Math.max(0, nextAt - performance.now()));
      else for (let i = 0; i < run.window; i++) send();
    });

  const cpu = window.finished();
  const done = Promise.all(pairs.map(drive));
  const cpuPct = await cpu;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 5000)))]);
  clearTimeout(timer);
  return {
    count,
    sent,
    errors,
    ...(firstError !== undefined && { firstError }),
    latency: delivery.toJSON(),
    ackLatency: acked.toJSON(),
    cpuPct,
    measuredMs: Math.min(run.durationMs, performance.now() - window.from),
  };
}

export function closeRelay(): void {
  for (const pair of pairs) {
    pair.sender.close();
    pair.receiver.close();
    for (const c of pair.ns) c.close();
  }
  pairs = [];
}
