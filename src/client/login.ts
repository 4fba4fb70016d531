// Signing in: VER, INF and USR at the DS (XFR NS) and at the NS (MD5 challenge) (MSNP5.md 4.1, 5, 6).
import { md5Response } from '../protocol/md5.ts';
import { MsnpConnection } from './connection.ts';
import type { ConnectOptions } from './connection.ts';
import { LoginError } from './errors.ts';
import { acceptReply, exchange } from './exchange.ts';
import { parseMime } from './mime.ts';
import type { Received } from './received.ts';
import { nsReferral } from './referrals.ts';
import type { HostPort } from './referrals.ts';

export const DEFAULT_DIALECTS: readonly string[] = ['MSNP5', 'MSNP4', 'CVR0'];
const CVR0 = 'CVR0';

export interface LoginOptions extends ConnectOptions {
  host: string;
  /** the DS port, or the NS port when viaDispatch is false */
  port: number;
  handle: string;
  password: string;
  /** offered in VER, in order of preference (default MSNP5 MSNP4 CVR0) */
  dialects?: readonly string[];
  /** true (default): host/port is the DS; follow its XFR NS. false: host/port is the NS. */
  viaDispatch?: boolean;
}

export interface LoginResult {
  /** the dialect the server chose: the first non-CVR0 entry of its VER reply */
  dialect: string;
  handle: string;
  friendlyName: string;
  /** MSNP6+ `USR … OK handle name 0|1`; undefined when the reply has no flag */
  verified: boolean | undefined;
  /** headers of the `MSG Hotmail Hotmail` profile message */
  profile: Record<string, string>;
}

/** VER; returns the chosen dialect. `VER t 0` or a CVR0-only answer throws LoginError with code 0. */
export async function negotiateVersion(conn: MsnpConnection, dialects: readonly string[]): Promise<string> {
  const ex = await exchange(conn, 'VER', dialects);
  const reply = acceptReply(ex, (r) => r.name === 'VER', 'a VER reply', LoginError);
  const dialect = reply.args.slice(1).find((d) => d !== CVR0 && d !== '0');
  if (dialect === undefined) throw new LoginError(0, ex.request, reply);
  return dialect;
}

export interface Referral extends HostPort {
  /** the TrID to continue with on the NS (official clients keep counting across connections) */
  nextTrId: number;
}

/** At the DS: VER, INF, `USR MD5 I` → the NS address of `XFR t NS host:port …`. Closes the DS connection. */
export async function askDispatch(opts: LoginOptions): Promise<Referral> {
  const ds = await MsnpConnection.connect(opts.host, opts.port, opts, 'ds');
  try {
    await negotiateVersion(ds, opts.dialects ?? DEFAULT_DIALECTS);
    await askSecurityPackages(ds);
    const ex = await exchange(ds, 'USR', ['MD5', 'I', opts.handle]);
    const xfr = acceptReply(ex, (r) => nsReferral(r) !== undefined, 'XFR t NS host:port', LoginError);
    return { ...(nsReferral(xfr) as HostPort), nextTrId: ds.nextTrId() };
  } finally {
    ds.close();
  }
}

/** At the NS: VER, INF, `USR MD5 I`, `USR MD5 S <md5>`, then the profile message. */
export async function authenticate(conn: MsnpConnection, opts: LoginOptions): Promise<LoginResult> {
  const dialect = await negotiateVersion(conn, opts.dialects ?? DEFAULT_DIALECTS);
  await askSecurityPackages(conn);
  const challenge = await requestChallenge(conn, opts.handle);
  const ok = await sendResponse(conn, md5Response(challenge, opts.password));
  const [, , handle = '', friendlyName = '', verified] = ok.args;
  const profileMessage = await conn.next(isHotmailMessage);
  return {
    dialect,
    handle,
    friendlyName,
    verified: verified === undefined ? undefined : verified === '1',
    profile: parseMime(profileMessage.payload ?? Buffer.alloc(0)).headers,
  };
}

async function askSecurityPackages(conn: MsnpConnection): Promise<void> {
  acceptReply(await exchange(conn, 'INF', []), (r) => r.name === 'INF', 'INF t MD5', LoginError);
}

async function requestChallenge(conn: MsnpConnection, handle: string): Promise<string> {
  const ex = await exchange(conn, 'USR', ['MD5', 'I', handle]);
  const isChallenge = (r: Received): boolean => r.name === 'USR' && r.args[1] === 'MD5' && r.args[2] === 'S';
  return acceptReply(ex, isChallenge, 'USR t MD5 S <challenge>', LoginError).args[3] ?? '';
}

async function sendResponse(conn: MsnpConnection, response: string): Promise<Received> {
  const ex = await exchange(conn, 'USR', ['MD5', 'S', response]);
  const isOk = (r: Received): boolean => r.name === 'USR' && r.args[1] === 'OK';
  return acceptReply(ex, isOk, 'USR t OK handle name', LoginError);
}

function isHotmailMessage(r: Received): boolean {
  return r.name === 'MSG' && r.args[0] === 'Hotmail';
}
