// The NS login (MSNP5.md 6, 7): VER, INF, USR, CVR, PNG and OUT, the profile message, sign-in.
import { authenticate, failedLogins } from '../../core/accounts.ts';
import { countLogin } from '../../core/admin-console.ts';
import { type Failure, failure, isFailure } from '../../core/failure.ts';
import { UserSession } from '../../core/session.ts';
import type { Account } from '../../core/types.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { encodeLine } from '../../protocol/line.ts';
import { newChallenge } from '../../protocol/md5.ts';
import { profileMessage } from '../../protocol/mime.ts';
import { isValidHandle, lacksDomain, normalizeHandle } from '../../protocol/names.ts';
import { type Answer, type Close, close } from '../dispatcher.ts';
import { answerVer, answerVersionQuery } from '../negotiation.ts';
import { deliverAlertsAtSignIn } from './alerts.ts';
import type { NsContext } from './context.ts';
import { initialMailMessage } from './mail-notices.ts';
import { busyCode, sessionPlace } from './session-limit.ts';

/** VER: the first command (MSNP5.md 4.1). CVR0 mode is served by the DS; an NS has nothing to offer such a client. */
export function ver(ctx: NsContext, offered: string[], trid: string): Answer {
  const outcome = answerVer(ctx.conn, trid, offered, ctx.server.config);
  if ('close' in outcome) return outcome;
  if ('cvr0' in outcome) return close('CVR0 on the NS');
  ctx.dialect = outcome.dialect;
  ctx.phase = 'negotiated';
}

export function inf(ctx: NsContext, _args: string[], trid: string): void {
  ctx.reply('INF', trid, 'MD5');
}

export function cvr(ctx: NsContext, params: string[], trid: string, name = 'CVR'): void {
  answerVersionQuery(ctx.conn, name, trid, params, ctx.server.config, ctx.server.webBaseUrl());
}

export function png(ctx: NsContext): void {
  ctx.reply('QNG');
}

/** D-19: the NS answers OUT with OUT, then closes. */
export function out(ctx: NsContext): Close {
  ctx.reply('OUT');
  return close('OUT');
}

export type UsrArgs = { stage: 'I' | 'S'; value: string } | 'malformed';

/** `USR t MD5 I|S value`; anything else closes during login (a signed-in session gets 207 first). */
export function parseUsr([scheme, stage, value, ...rest]: string[]): UsrArgs {
  if (rest.length > 0 || scheme !== 'MD5' || (stage !== 'I' && stage !== 'S') || value === undefined) return 'malformed';
  return { stage, value };
}

export async function usr(ctx: NsContext, args: UsrArgs, trid: string): Promise<Answer> {
  if (ctx.phase === 'authenticated') return failure(ErrorCode.ALREADY_LOGIN);
  if (args === 'malformed') return close('bad USR');
  if (args.stage === 'I') {
    if (ctx.phase === 'challenged') return failure(ErrorCode.NOT_EXPECTED);
    return challengeFor(ctx, trid, args.value);
  }
  if (ctx.phase !== 'challenged') return close('USR S before USR I');
  return verify(ctx, trid, args.value);
}

function challengeFor(ctx: NsContext, trid: string, handle: string): Answer {
  if (!isValidHandle(handle) && lacksDomain(handle)) return failure(ErrorCode.FQDN_MISSING);
  // Every account, existing or not, gets a challenge; the failure comes at USR S (D-5).
  ctx.pendingHandle = normalizeHandle(handle);
  ctx.challenge = newChallenge(Math.floor(Date.now() / 1000));
  ctx.phase = 'challenged';
  ctx.reply('USR', trid, 'MD5', 'S', ctx.challenge);
}

async function verify(ctx: NsContext, trid: string, response: string): Promise<Answer> {
  const handle = ctx.pendingHandle;
  // The session limit first, before any password check (MSNP5.md 13; session-limit.ts).
  const place = sessionPlace(ctx, handle);
  if (isFailure(place)) return refuseLogin(ctx, place, 'session limit');
  // A login replacing its own session at the limit gets the busy code for every failure (session-limit.ts).
  const replacing = place === 'replacing' ? busyCode(ctx) : undefined;
  const { config, bus, store } = ctx.server;
  const { limits } = config;
  // Failed logins on every node (MSNP5.md 6.4: too many → 911); this refusal does not count as one.
  const failures = failedLogins(bus.rates, ctx.conn.remoteAddress, handle, {
    perAddress: limits.failedLoginsPerAddress,
    perAccount: limits.failedLoginsPerAccount,
    perAddressAndAccount: limits.failedLoginsPerAddressAndAccount,
    windowMs: limits.failedLoginWindowMs,
  });
  if (await failures.lockedOut()) return refuseLogin(ctx, replacing ?? failure(ErrorCode.AUTHENTICATION_FAILED), 'failed-login limit');
  const policy = { requireVerified: config.requireVerified };
  const outcome = await authenticate(store, handle, ctx.challenge, response, policy, ctx.features.usrOkVerifiedFlag);
  if (isFailure(outcome)) {
    if (outcome.error === ErrorCode.AUTHENTICATION_FAILED) await failures.failed();
    return refuseLogin(ctx, replacing ?? loginError(ctx, outcome), `authenticate: ${outcome.error}`);
  }
  await signIn(ctx, trid, outcome.account, outcome.readAt);
}

/**
 * A refused login's code in this session's dialect: MSNP2–4 clients do not know 924 (MSNP5.md 13:
 * new in MSNP5) and none of their codes says "verify"; they get the dialect table's `unverifiedCode`,
 * 911, which tells no more than a wrong password would, rather than 920 "server full" (a decision).
 */
function loginError(ctx: NsContext, refusal: Failure): Failure {
  if (refusal.error === ErrorCode.NOT_VERIFIED) return failure(ctx.features.unverifiedCode);
  // Likewise 923 (kids account without consent) exists from MSNP4 (6.4): MSNP2–3 get `kidsCode`, 911.
  if (refusal.error === ErrorCode.KIDS_WITHOUT_CONSENT) return failure(ctx.features.kidsCode);
  return refusal;
}

function refuseLogin(ctx: NsContext, refusal: Failure, reason: string): Failure {
  ctx.log.info({ handle: ctx.pendingHandle, remote: ctx.conn.remoteAddress, code: refusal.error, reason }, 'login refused');
  ctx.server.metrics.login(refusal.error);
  countForDashboard(ctx, false);
  return refusal;
}

/** The admin console's counts of the last hour; a bus that fails here does not fail the login. */
function countForDashboard(ctx: NsContext, ok: boolean): void {
  countLogin(ctx.server.bus.tallies, ok).catch((error: unknown) => ctx.log.warn({ err: error }, 'login not counted for the dashboard'));
}

async function signIn(ctx: NsContext, trid: string, account: Account, readAt: number | undefined): Promise<void> {
  const { store, bus, listLimits } = ctx.server;
  const user = await UserSession.open(account, store, bus, listLimits, readAt);
  // Read before the bus records the session, so that a failure leaves nothing to undo.
  const unreadMail = await initialMailMessage(ctx, account.id);
  ctx.loginTime = Math.floor(Date.now() / 1000);
  // MSPAuth signs the browser in while this session lasts (MSNP5.md 9.16, 12.1): registered with the route.
  await bus.routes.attach(account.handle, ctx.endpoint, { mspAuth: ctx.mspAuth, loginTime: ctx.loginTime });
  ctx.signedInAtMs = Date.now();
  if (ctx.conn.isClosing) {
    await bus.routes.detach(account.handle, ctx.sessionId, ctx.mspAuth);
    return;
  }
  ctx.signedInAs(user);
  ctx.conn.clearTimer();
  const ok = ['OK', account.handle, account.friendlyName];
  if (ctx.features.usrOkVerifiedFlag) ok.push(account.verified ? '1' : '0');
  const lines = [encodeLine('USR', trid, ...ok), profile(ctx, account)];
  if (unreadMail) lines.push(Buffer.concat([encodeLine('MSG', 'Hotmail', 'Hotmail', unreadMail.length), unreadMail]));
  ctx.replyBatch(lines);
  ctx.server.metrics.login('ok');
  countForDashboard(ctx, true);
  recordSignIn(ctx, account);
  await deliverAlertsAtSignIn(ctx);
  ctx.log.info({ handle: account.handle, remote: ctx.conn.remoteAddress, dialect: ctx.dialect }, 'signed in');
}

/**
 * The last sign-in and where the account is signed in now, for `msnd user show` (core/admin.ts):
 * not waited for (the store may write it a moment later, with others: store/signin-records.ts).
 */
function recordSignIn(ctx: NsContext, account: Account): void {
  const signIn = {
    sessionId: ctx.sessionId,
    node: ctx.server.nodeId,
    dialect: ctx.dialect,
    address: ctx.conn.remoteAddress,
    since: Date.now(),
  };
  // A record for the operator: a store that fails here must not end the sign-in that worked.
  void ctx.server.store.admin
    .recordSignIn(account.id, signIn)
    .catch((err: unknown) => ctx.log.warn({ err }, 'recording the sign-in failed'));
}

/** The profile message (MSNP5.md 12.1). */
function profile(ctx: NsContext, account: Account): Buffer {
  const body = profileMessage(ctx.features.fullProfile, {
    loginTime: ctx.loginTime,
    // 1 only when there is a webmail for INBOX to lead to (MSNP5.md 12.1, 9.16).
    emailEnabled: ctx.server.config.webmailUrl !== undefined,
    memberIdHigh: Math.floor(account.id / 2 ** 32),
    memberIdLow: account.id % 2 ** 32,
    langPreference: account.profile.langPreference,
    preferredEmail: account.profile.preferredEmail,
    country: account.profile.country,
    postalCode: account.profile.postalCode,
    gender: account.profile.gender,
    kid: account.kid,
    age: account.profile.age,
    bdayPre: account.profile.bdayPre,
    birthday: account.profile.birthday,
    wallet: account.profile.wallet,
    flags: 1027,
    sid: 507,
    kv: 5,
    mspAuth: ctx.mspAuth,
  });
  return Buffer.concat([encodeLine('MSG', 'Hotmail', 'Hotmail', body.length), body]);
}
