// Scenario 1: full MSNP5 sign-ins through the DS, many clients in parallel (MSNP5.md 5, 6, 9.4, 9.11;
// sessions.md session 1): VER, INF, USR I → XFR; VER, INF, USR I, USR S; SYN 0; CHG NLN. The latency
// runs from the DS connect to the CHG reply; the client then signs out with OUT (not timed).
import { setTimeout as sleep } from 'node:timers/promises';
import { MsnClient } from '../../src/client/client.ts';
import { Histogram } from '../lib/histogram.ts';
import { AddressPool, Window, connectorOf, errorText, type Credentials, type RunResult, type RunWindow, type Target } from './common.ts';

export interface LoginRun extends RunWindow {
  target: Target;
  /** at least `concurrency`; each client signs in as its own share of them, in turn */
  accounts: Credentials[];
  concurrency: number;
  localAddresses: string[];
  /** stop after this many sign-ins even if time is left, and end the window there (a bound for tests) */
  maxLogins?: number;
  /**
   * Sign-ins begun per second by this generator, at most (a paced load: the clients take turns at
   * fixed times); absent: each client begins its next sign-in as soon as the last one ends.
   */
  ratePerSecond?: number;
}

const MAX_ERRORS = 50;

export async function runLogins(run: LoginRun): Promise<RunResult & { syncLines: number }> {
  if (run.accounts.length < run.concurrency) throw new Error('fewer accounts than parallel clients');
  const window = new Window(run);
  const latency = new Histogram();
  const addresses = new AddressPool(run.localAddresses);
  const maxLogins = run.maxLogins ?? 1_000_000;
  let count = 0;
  let started = 0;
  let errors = 0;
  let syncLines = 0;
  let firstError: string | undefined;

  // The time the next paced sign-in may begin (sign-ins that fall behind begin at once, not in a burst later).
  let nextStart = performance.now();
  const paced = async (): Promise<void> => {
    if (run.ratePerSecond === undefined) return;
    const now = performance.now();
    const at = Math.max(nextStart, now);
    nextStart = at + 1000 / run.ratePerSecond;
    if (at > now) await sleep(at - now);
  };
  const client = async (share: Credentials[]): Promise<void> => {
    for (let i = 0; !window.over && started < maxLogins && errors < MAX_ERRORS; i++) {
      await paced();
      if (window.over) break;
      started++;
      const { handle, password } = share[i % share.length]!;
      const t0 = performance.now();
      let session: MsnClient | undefined;
      try {
        session = await MsnClient.login({
          host: run.target.host,
          port: run.target.ports.ds,
          handle,
          password,
          localAddress: addresses.take(),
          timeoutMs: 20_000,
          inboxLimit: 1000,
          connector: connectorOf(run.target),
        });
        const sync = await session.sync(0);
        await session.changeStatus('NLN');
        const t1 = performance.now();
        syncLines = sync.lines.length;
        if (window.counts(t1)) {
          count++;
          latency.recordMs(t1 - t0);
        }
        await session.signOut();
      } catch (err) {
        errors++;
        firstError ??= `${handle}: ${errorText(err)}`;
        session?.close();
      }
    }
  };
  const shares = Array.from({ length: run.concurrency }, (_, w) => run.accounts.filter((_, j) => j % run.concurrency === w));
  const clients = Promise.all(shares.map(client)).then(() => {
    if (started >= maxLogins) window.endNow();
  });
  const [cpuPct] = await Promise.all([window.finished(), clients]);
  return {
    count,
    errors,
    ...(firstError !== undefined && { firstError }),
    latency: latency.toJSON(),
    cpuPct: cpuPct as number,
    measuredMs: Math.min(run.durationMs, performance.now() - window.from),
    syncLines,
  };
}
