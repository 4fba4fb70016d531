// Scenario 5: list changes (MSNP5.md 9.8, 9.9): each client adds a contact to its FL and removes it
// again, one request at a time; every reply comes after the change is committed (DESIGN.md, Data).
import { MsnpConnection } from '../../src/client/connection.ts';
import { Histogram } from '../lib/histogram.ts';
import { AddressPool, Window, errorText, inParallel, type Credentials, type RunResult, type RunWindow, type Target } from './common.ts';
import { signIn } from './hold.ts';

export interface ListOwner {
  account: Credentials;
  /** contacts this owner adds and removes in turn (on no other owner's list of targets) */
  targets: { handle: string; name: string }[];
}

export interface ListsPrepare {
  target: Target;
  owners: ListOwner[];
  localAddresses: string[];
}

const MAX_ERRORS = 50;
let owners: { conn: MsnpConnection; close(): void; targets: ListOwner['targets'] }[] = [];

export async function prepareLists(req: ListsPrepare): Promise<{ owners: number; failed: number; firstError?: string }> {
  const addresses = new AddressPool(req.localAddresses);
  const outcome = await inParallel(req.owners, 16, async (owner) => {
    if (req.target.kind === 'msnd') {
      const client = await signIn(req.target, owner.account, addresses.take());
      owners.push({ conn: client.conn, close: () => client.close(), targets: owner.targets });
    } else {
      const conn = await MsnpConnection.connect(req.target.host, req.target.ports.ns, { localAddress: addresses.take(), inboxLimit: 10 });
      owners.push({ conn, close: () => conn.close(), targets: owner.targets });
    }
  });
  return { owners: owners.length, ...outcome };
}

export async function runLists(run: RunWindow & { maxChanges?: number }): Promise<RunResult> {
  const window = new Window(run);
  const latency = new Histogram();
  const maxChanges = run.maxChanges ?? 10_000_000;
  let count = 0;
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;

  const change = async (conn: MsnpConnection, args: string[]): Promise<void> => {
    started++;
    const t0 = performance.now();
    const reply = await conn.request(args[0]!, ...args.slice(1));
    const t1 = performance.now();
    if (reply.name !== args[0]) throw new Error(`${args.join(' ')} → ${reply.line}`);
    if (window.counts(t1)) {
      count++;
      latency.recordMs(t1 - t0);
    }
  };
  const drive = async (owner: (typeof owners)[number]): Promise<void> => {
    for (let i = 0; !window.over && started < maxChanges && errors < MAX_ERRORS; i++) {
      const target = owner.targets[i % owner.targets.length]!;
      try {
        await change(owner.conn, ['ADD', 'FL', target.handle, target.name]);
        await change(owner.conn, ['REM', 'FL', target.handle]);
      } catch (err) {
        errors++;
        firstError ??= errorText(err);
      }
      owner.conn.drain();
    }
  };
  const [cpuPct] = await Promise.all([window.finished(), ...owners.map(drive)]);
  return {
    count,
    errors,
    ...(firstError !== undefined && { firstError }),
    latency: latency.toJSON(),
    cpuPct: cpuPct as number,
    measuredMs: run.durationMs,
  };
}

export function closeLists(): void {
  for (const owner of owners) owner.close();
  owners = [];
}
