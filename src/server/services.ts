// The NS services of MSNP5: URL, FND, SDC/SND, PAG, NOT alerts and the session limit (MSNP5.md
// 9.16–9.21, 13). Handlers are called from notification.ts's command table; the rules are in core.
import { isUtf8 } from 'node:buffer';
import type { Logger } from 'pino';
import { deliverPendingAlerts, expireAlerts, oldestLiveAlert, type AlertRecipient } from '../core/alerts.ts';
import { findMembers } from '../core/directory.ts';
import { parseInviteTarget, queueInvitation, type InviteTarget } from '../core/invitations.ts';
import { Outbox, OutboxWorker, type OutboxEvent } from '../core/outbox.ts';
import { sendPage } from '../core/paging.ts';
import { rateLimit } from '../core/rate.ts';
import type { DirectoryHit, Store } from '../core/store.ts';
import { SERVICE_PAGES, WEB_LOGIN_PATH } from '../core/web-pages.ts';
import { createDelivery, outboxFolderOf } from '../mail/index.ts';
import { findResultTokens, parseFindQuery as parseFindFields } from '../protocol/directory.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { PayloadRule } from '../protocol/framer.ts';
import { encodeLine } from '../protocol/line.ts';
import { acceptEncoded, isValidHandle, NAME_MAX_BYTES, normalizeHandle, percentDecode } from '../protocol/names.ts';
import type { ServerConfig } from './config.ts';
import type { NotificationSession } from './notification.ts';

/** What the NS sessions use of the services (NotificationContext.services). */
export interface NsServices {
  outbox: Outbox;
}

export interface ServiceParts {
  config: ServerConfig;
  store: Store;
  log: Logger;
  /** The NS sessions of this node (the alert poller delivers to them). */
  sessions: ReadonlySet<NotificationSession>;
  /** msnd's web server as clients reach it, without a trailing slash. */
  webUrl(): string;
}

export interface RunningServices {
  ns: NsServices;
  /** Delivers alerts to this node's signed-in users now (e.g. after the admin API stored one). */
  pollAlerts(): Promise<void>;
  stop(): Promise<void>;
}

/** SDC payloads are at most this many bytes (MSNP5.md 14, a decision). */
const SDC_MAX_BYTES = 1664;

/** Starts the outbox worker and the alert poller of this node. */
export function startServices(parts: ServiceParts): RunningServices {
  const { config, store, log } = parts;
  const delivery = createDelivery({
    smtp: config.smtp,
    mailFrom: config.mailFrom,
    pageGateway: config.pageGateway,
    outboxFolder: outboxFolderOf(config.dataDir),
    timeoutMs: config.limits.deliveryTimeoutMs,
  });
  const outbox = new Outbox(store);
  const worker = new OutboxWorker(store, delivery.mailer, delivery.pages, outboxSettings(config), logOutbox(log));
  outbox.onQueued(() => worker.wake());
  worker.start();
  const poller = new AlertPoller(parts);
  poller.start();
  return {
    ns: { outbox },
    pollAlerts: () => poller.round(),
    async stop() {
      poller.stop();
      await worker.stop();
      delivery.close();
    },
  };
}

function outboxSettings(config: ServerConfig) {
  const { outboxPollMs, outboxRetryMs, outboxAttempts, deliveryTimeoutMs } = config.limits;
  // An attempt holds its item a while longer than it may take, so no other worker starts it meanwhile.
  return { pollMs: outboxPollMs, retryMs: outboxRetryMs, maxAttempts: outboxAttempts, leaseMs: 4 * deliveryTimeoutMs };
}

function logOutbox(log: Logger): (event: OutboxEvent) => void {
  return (event) => {
    if (event.kind === 'sent') log.info({ outbox: event.item.id, kind: event.item.kind }, 'outbox item delivered');
    else if (event.kind === 'failed') log.warn({ outbox: event.item.id, err: event.error, retryAt: event.retryAt }, 'outbox delivery failed');
    else log.error({ err: event.error }, 'outbox unavailable');
  };
}

// ---- URL (MSNP5.md 9.16) ----------------------------------------------------------------------

interface ServiceUrl {
  since: number;
  /** The last dialect level with the service (N2PACCOUNT and N2PFUND are gone in MSNP7). */
  until?: number;
  siteId: number;
  /** msnd's own page (absolute from MSNP3) rather than a Hotmail path for the webmail. */
  ownPage: boolean;
  /** The parameter, when given, is an LCID; anything else is answered 201 (a decision). */
  takesLcid?: boolean;
  path(param: string | undefined): string;
}

// Site ids: 2 (Hotmail) and 961 (mobile) as in sessions.md session 10; PERSON and PASSWORD use 2
// too (a decision: no source gives theirs). PROFILE 4263, N2PACCOUNT 2823 and CHAT 2260 as in
// [YW URL]; N2PFUND has none there and shares Net2Phone's 2823 (a decision). msnd runs no Net2Phone
// and no chat rooms: their URLs lead to msnd pages that send the browser on to the operator's
// service, or say that this server does not offer it (src/web/routes/partners.ts).
const URL_SERVICES: Readonly<Record<string, ServiceUrl>> = {
  INBOX: { since: 2, siteId: 2, ownPage: false, path: () => '/cgi-bin/HoTMaiL' },
  COMPOSE: { since: 2, siteId: 2, ownPage: false, path: composePath },
  FOLDERS: { since: 2, siteId: 2, ownPage: false, path: () => '/cgi-bin/folders' },
  MESSAGE: { since: 2, siteId: 2, ownPage: false, path: () => '/cgi-bin/getmsg' },
  PERSON: { since: 2, siteId: 2, ownPage: true, path: () => '/person' },
  PASSWORD: { since: 2, siteId: 2, ownPage: true, path: () => '/password' },
  MOBILE: { since: 5, siteId: 961, ownPage: true, path: () => '/mobile/setup' },
  CHGMOB: { since: 5, siteId: 961, ownPage: true, path: () => '/mobile/settings' },
  PROFILE: { since: 6, siteId: 4263, ownPage: true, takesLcid: true, path: () => SERVICE_PAGES.PROFILE },
  N2PACCOUNT: { since: 6, until: 6, siteId: 2823, ownPage: true, takesLcid: true, path: () => SERVICE_PAGES.N2PACCOUNT },
  N2PFUND: { since: 6, until: 6, siteId: 2823, ownPage: true, takesLcid: true, path: () => SERVICE_PAGES.N2PFUND },
  CHAT: { since: 7, siteId: 2260, ownPage: true, takesLcid: true, path: () => SERVICE_PAGES.CHAT },
};

function composePath(address: string | undefined): string {
  return address === undefined ? '/cgi-bin/compose' : `/cgi-bin/compose?mailto=1&to=${urlEncodeBytes(address)}`;
}

/** Where a URL service leads: `rru`/`ru`, the auto-login page and the Passport site id (MSNP5.md 9.16). */
export interface ServiceTarget {
  redirect: string;
  login: string;
  siteId: number;
}

/**
 * The target of a service in this session's dialect; undefined when the dialect has no such service
 * or its LCID parameter is malformed. Webmail services lead to Hotmail's relative paths, which msnd's
 * login page passes on to the webmail; msnd's own pages are absolute from MSNP3.
 */
export function serviceTarget(s: NotificationSession, service: string, param?: string): ServiceTarget | undefined {
  const entry = Object.hasOwn(URL_SERVICES, service) ? URL_SERVICES[service] : undefined;
  if (!entry || s.dialectLevel < entry.since || s.dialectLevel > (entry.until ?? Infinity)) return undefined;
  if (entry.takesLcid && param !== undefined && !isLcid(param)) return undefined;
  const web = s.ctx.webBaseUrl();
  const absolute = entry.ownPage && s.features.urlSiteId;
  const redirect = absolute ? `${web}${entry.path(param)}` : entry.path(param);
  // lc: msnd's pages are in English (LCID 1033) for everyone.
  return { redirect, login: `${web}${WEB_LOGIN_PATH}?lc=1033`, siteId: entry.siteId };
}

/** `URL t <redirect> <login-url> <site-id>`; MSNP2 has no site id and no absolute redirects. */
export function url(s: NotificationSession, trid: string, [service, param]: string[]): void {
  const target = serviceTarget(s, service!, param);
  // Unknown service, one of another dialect, or a bad LCID → 201 (MSNP5.md 9.16, a decision).
  if (!target) return s.reply(String(ErrorCode.INVALID_PARAMETER), trid);
  if (s.features.urlSiteId) s.reply('URL', trid, target.redirect, target.login, target.siteId);
  else s.reply('URL', trid, target.redirect, target.login);
}

/** Every byte but A–Z a–z 0–9 - . _ ~ as %XX (a parameter is latin1: one char per byte). */
function urlEncodeBytes(token: string): string {
  return [...Buffer.from(token, 'latin1')]
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

// ---- FND (MSNP5.md 9.17) ----------------------------------------------------------------------

/** The last FND result of each session: SDC and SND invite its entries by index (MSNP5.md 9.19). */
const lastFind = new WeakMap<NotificationSession, DirectoryHit[]>();

/** FND: all result lines at once, `FND t 0 0` for none; 201 for a bad query, 301 for too many. */
export async function fnd(s: NotificationSession, trid: string, args: string[]): Promise<void> {
  lastFind.set(s, []);
  const query = parseFindQuery(args);
  if (!query) return s.reply(String(ErrorCode.INVALID_PARAMETER), trid);
  const outcome = await findMembers(s.ctx.store, query);
  if ('error' in outcome) return s.reply(String(outcome.error), trid);
  const { hits } = outcome;
  lastFind.set(s, hits);
  if (hits.length === 0) return s.reply('FND', trid, 0, 0);
  // Results never carry account names (MSNP5.md 9.17): only the directory fields.
  s.replyBatch(hits.map((hit, i) => encodeLine('FND', trid, i + 1, hits.length, ...resultTokens(hit))));
}

function parseFindQuery(args: string[]) {
  const fields = parseFindFields(args);
  return fields && { firstName: fields.fname, lastName: fields.lname, city: fields.city, state: fields.state, country: fields.country };
}

function resultTokens(hit: DirectoryHit): string[] {
  return findResultTokens({ fname: hit.firstName, lname: hit.lastName, city: hit.city, state: hit.state, country: hit.country });
}

// ---- SDC and SND (MSNP5.md 9.18, 9.19) --------------------------------------------------------

/**
 * SDC's payload rule: a length that is not a number within the limit leaves the line without a
 * payload, so that the handler answers 503 and closes (MSNP5.md 9.19) instead of a silent close.
 */
export function sdcPayloadRule(args: readonly string[]): PayloadRule | undefined {
  const length = args[args.length - 1] ?? '';
  return /^[0-9]{1,10}$/.test(length) && Number(length) <= SDC_MAX_BYTES ? { maxBytes: SDC_MAX_BYTES } : undefined;
}

/** `SDC t <address|index> <lcid> <library> <client-id> X X <my-name> <len>` + the personal note. */
export async function sdc(s: NotificationSession, trid: string, args: string[], payload?: Buffer): Promise<void> {
  const [target, lcid, , , x1, x2, rawName] = args;
  const name = acceptEncoded(rawName ?? '', NAME_MAX_BYTES);
  const wellFormed = args.length === 8 && payload !== undefined && x1 === 'X' && x2 === 'X' && isLcid(lcid) && isUtf8(payload);
  if (!wellFormed || !name.ok) return malformed(s, trid);
  await invite(s, trid, 'SDC', target!, { name: name.text, note: payload.toString('utf8'), lcid: Number(lcid) });
}

/** SND in its three forms: MSNP2 `<address|index>`, MSNP3 `+ <lcid> <library>`, MSNP4+ `+ <client-id>`. */
export async function snd(s: NotificationSession, trid: string, args: string[]): Promise<void> {
  // Every form is accepted in every dialect (a decision: SND is "still accepted later", 9.18).
  if (![1, 3, 4].includes(args.length) || (args.length > 1 && !isLcid(args[1]))) return malformed(s, trid);
  const name = percentDecode(s.session.friendlyName).toString('utf8');
  await invite(s, trid, 'SND', args[0]!, { name, note: '', lcid: args.length > 1 ? Number(args[1]) : 0x0409 });
}

async function invite(
  s: NotificationSession,
  trid: string,
  command: 'SDC' | 'SND',
  token: string,
  details: { name: string; note: string; lcid: number },
): Promise<void> {
  const target: InviteTarget | undefined = parseInviteTarget(token);
  if (!target) return s.reply(String(ErrorCode.INVALID_PARAMETER), trid);
  const inviter = { handle: s.session.handle, name: details.name };
  const { store, services } = s.ctx;
  const { invitationEmails, invitationEmailWindowMs } = s.ctx.config.limits;
  const sent = sendingRate(s, 'invitation-emails', invitationEmails, invitationEmailWindowMs);
  if (await sent.usedUp()) return s.reply(String(ErrorCode.RATE_LIMITED), trid);
  const request = { inviter, target, note: details.note, lcid: details.lcid, webUrl: s.ctx.webBaseUrl() };
  const outcome = await queueInvitation(store, services.outbox, lastFind.get(s) ?? [], request);
  if ('error' in outcome) return s.reply(String(outcome.error), trid);
  await sent.use();
  // The outbox row is committed: only now the OK (DESIGN.md "Data").
  s.reply(command, trid, 'OK');
}

/** `0x0409` or decimal. */
function isLcid(token: string | undefined): boolean {
  return token !== undefined && /^(0x[0-9A-Fa-f]{1,8}|[0-9]{1,10})$/.test(token);
}

function malformed(s: NotificationSession, trid: string): void {
  // Malformed SDC/SND → 503, then close (MSNP5.md 9.18, 9.19).
  s.reply(String(ErrorCode.UNSPECIFIED_FAILURE), trid);
  s.close('malformed invitation');
}

// ---- PAG (MSNP5.md 9.20) ----------------------------------------------------------------------

/** `PAG t <handle> <len>` + payload. No reply on success; 201/205/220 on failure; IPG or outbox (core). */
export async function pag(s: NotificationSession, trid: string, args: string[], payload?: Buffer): Promise<void> {
  const [rawHandle] = args;
  if (payload === undefined) return s.close('PAG without payload');
  if (!isValidHandle(rawHandle!)) return s.reply(String(ErrorCode.INVALID_PARAMETER), trid);
  const user = s.session;
  const pager = { accountId: user.accountId, handle: user.handle, name: percentDecode(user.friendlyName).toString('utf8') };
  const { store, services, bus } = s.ctx;
  const sent = sendingRate(s, 'pages', s.ctx.config.limits.pages, s.ctx.config.limits.pageWindowMs);
  if (await sent.usedUp()) return s.reply(String(ErrorCode.RATE_LIMITED), trid);
  const outcome = await sendPage(store, services.outbox, bus, pager, normalizeHandle(rawHandle!), payload);
  if ('error' in outcome) return s.reply(String(outcome.error), trid);
  await sent.use();
}

/**
 * Each account may send only so many e-mails and pages per window, so that a signed-in account
 * cannot turn msnd into a mail or SMS cannon; beyond, 800 "changing too rapidly" (MSNP5.md 13,
 * the code [YW PAG] shows for a page that was not sent; a decision for SDC/SND). Only accepted
 * ones count.
 */
function sendingRate(s: NotificationSession, what: string, limit: number, windowMs: number) {
  // On the bus, so that every node of a cluster counts the same sends.
  return rateLimit(s.ctx.bus.rates, `${what}:${s.session.handle}`, limit, windowMs);
}

// ---- NOT alerts (MSNP5.md 9.21) ---------------------------------------------------------------

/** This session as an alert recipient: signed in at MSNP5 or later (NOT exists from MSNP5, 4.3). */
function alertRecipient(s: NotificationSession): AlertRecipient | undefined {
  if (!s.isAuthenticated || !s.features.mobileCommands) return undefined;
  const { accountId, handle } = s.session;
  return { accountId, handle, deliver: (document) => s.conn.sendPayload('NOT', [], Buffer.from(document, 'utf8')) };
}

/** Right after the profile message: the alerts that waited for this user's sign-in. */
export async function deliverAlertsAtSignIn(s: NotificationSession): Promise<void> {
  const recipient = alertRecipient(s);
  if (!recipient) return;
  try {
    const notBefore = oldestLiveAlert(Date.now(), s.ctx.config.limits.alertLifetimeMs);
    await deliverPendingAlerts(s.ctx.store, [recipient], `${s.ctx.webBaseUrl()}/`, notBefore);
  } catch (error) {
    s.conn.log.error({ err: error }, 'alert delivery at sign-in failed');
  }
}

/**
 * Looks in the store about once a second for alerts to this node's signed-in users. Polling,
 * because alerts are written by another process (`msnd alert send`) that has no way to reach this
 * one but the shared store; the same works for every node of a cluster.
 */
const EXPIRY_CHECK_MS = 60_000;

class AlertPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly parts: ServiceParts) {}

  start(): void {
    this.timer = setInterval(() => void this.round(), this.parts.config.limits.alertPollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private lastExpiry = 0;

  /** About once a minute (and at the first round): expiring is not worth a statement every second. */
  private async expire(): Promise<void> {
    const now = Date.now();
    if (now - this.lastExpiry < EXPIRY_CHECK_MS) return;
    this.lastExpiry = now;
    const expired = await expireAlerts(this.parts.store, now, this.parts.config.limits.alertLifetimeMs);
    if (expired > 0) this.parts.log.info({ expired }, 'alerts expired');
  }

  /** One delivery round; a round asked for while one runs joins it. */
  round(): Promise<void> {
    this.running ??= this.deliver().finally(() => (this.running = undefined));
    return this.running;
  }

  private async deliver(): Promise<void> {
    const recipients = [...this.parts.sessions].map(alertRecipient).filter((r) => r !== undefined);
    try {
      await this.expire();
      const notBefore = oldestLiveAlert(Date.now(), this.parts.config.limits.alertLifetimeMs);
      await deliverPendingAlerts(this.parts.store, recipients, `${this.parts.webUrl()}/`, notBefore);
    } catch (error) {
      this.parts.log.error({ err: error }, 'alert delivery failed');
    }
  }
}

// ---- the session limit (MSNP5.md 13: 922) -----------------------------------------------------

/** Sessions that passed the limit check at USR S and have not closed since. */
const admitted = new WeakSet<NotificationSession>();

/**
 * At USR S, before the password is checked: 'free' admits the login, a number refuses it. At the
 * limit, a login of an account signed in on this node takes no new place, because its old session
 * gets OUT OTH (MSNP5.md 6.3, 10.6 D-14): 'replacing' admits it only if its password proves it the
 * account's own; if not, it gets busyCode like anyone, so the answer never tells who is signed in.
 */
export function sessionPlace(s: NotificationSession, handle: string): 'free' | 'replacing' | number {
  const max = s.ctx.config.maxSessions;
  const full = max !== undefined && admittedCount(s) >= max;
  if (full && !signedInHere(s, handle)) return busyCode(s);
  // Admitted now, so that logins racing this one's password check count it.
  admitted.add(s);
  return full ? 'replacing' : 'free';
}

/**
 * A login refused at the limit: 922 for MSNP5+ clients; 920 ("not accepting new users", known to
 * clients since MSNP2) for older ones, which do not know 922 (MSNP5.md 13, a decision).
 */
export function busyCode(s: NotificationSession): number {
  return s.dialectLevel >= 5 ? ErrorCode.SERVER_BUSY_LOGIN : ErrorCode.NOT_ACCEPTING_NEW_USERS;
}

function admittedCount(except: NotificationSession): number {
  let count = 0;
  for (const other of except.ctx.sessions) if (other !== except && admitted.has(other) && !other.conn.isClosing) count += 1;
  return count;
}

/** Whether the account has a signed-in session on this node that is still open. */
function signedInHere(except: NotificationSession, handle: string): boolean {
  for (const other of except.ctx.sessions) {
    if (other !== except && other.isAuthenticated && !other.conn.isClosing && other.session.handle === handle) return true;
  }
  return false;
}
