// Scenarios 3 and 4: sessions that sign in and then stay idle. Against msnd, an authenticated NS
// session that has synced its list and gone online (USR, SYN 0, CHG NLN); against the raw
// baseline, a connection that has exchanged one line (PNG → QNG).
import { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import { AddressPool, inParallel, type Credentials, type Target, connectorOf } from './common.ts';

export interface HoldRequest {
  target: Target;
  /** msnd: the accounts to sign in; raw: one connection per entry (only the count matters) */
  accounts: Credentials[];
  concurrency: number;
  localAddresses: string[];
}

export interface HoldResult {
  held: number;
  failed: number;
  firstError?: string;
  ms: number;
}

const held: { close(): void }[] = [];

export async function holdSessions(req: HoldRequest): Promise<HoldResult> {
  const t0 = performance.now();
  const addresses = new AddressPool(req.localAddresses);
  const before = held.length;
  const outcome = await inParallel(req.accounts, req.concurrency, async (account) => {
    held.push(
      req.target.kind === 'msnd' ? await signIn(req.target, account, addresses.take()) : await connectRaw(req.target, addresses.take()),
    );
  });
  return { held: held.length - before, ...outcome, ms: performance.now() - t0 };
}

/** A signed-in, synced, online msnd session (straight to the NS: the DS is scenario 1's business). */
export async function signIn(
  target: Target,
  account: Credentials,
  localAddress: string | undefined,
  inboxLimit = 1000,
): Promise<MsnClient> {
  const client = await MsnClient.login({
    host: target.host,
    port: target.ports.ns,
    viaDispatch: false,
    handle: account.handle,
    password: account.password,
    localAddress,
    timeoutMs: 30_000,
    inboxLimit,
    connector: connectorOf(target),
  });
  try {
    await client.sync(0);
    await client.changeStatus('NLN');
    return client;
  } catch (err) {
    client.close();
    throw err;
  }
}

async function connectRaw(target: Target, localAddress: string | undefined): Promise<MsnpConnection> {
  const conn = await MsnpConnection.connect(target.host, target.ports.ns, { localAddress, timeoutMs: 30_000, inboxLimit: 10 });
  try {
    conn.send('PNG');
    await conn.next('QNG');
    return conn;
  } catch (err) {
    conn.close();
    throw err;
  }
}

export function releaseSessions(): number {
  const n = held.length;
  for (const session of held.splice(0)) session.close();
  return n;
}
