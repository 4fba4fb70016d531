import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Bus, IncomingPage, Invitation, SessionEndpoint, UserEvent } from '../core/bus.ts';
import { authenticate, failedLogins } from '../core/accounts.ts';
import type { ListLimits } from '../core/limits.ts';
import { UserSession, type InitialPresence, type SyncEntry } from '../core/session.ts';
import type { Store } from '../core/store.ts';
import { STATUSES, type Account, type EditableList, type ListName, type Phones, type Status } from '../core/types.ts';
import { dialectLevel, featuresOf, nsCommandExists, type Dialect, type DialectFeatures } from '../protocol/dialects.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { encodeLine, isTrId } from '../protocol/line.ts';
import { newChallenge } from '../protocol/md5.ts';
import { profileMessage } from '../protocol/mime.ts';
import {
  acceptEncoded,
  isValidHandle,
  lacksDomain,
  NAME_MAX_BYTES,
  normalizeHandle,
  PHONE_MAX_BYTES,
} from '../protocol/names.ts';
import type { Admission } from './admission.ts';
import type { ServerConfig } from './config.ts';
import { SessionChallenges } from './challenges.ts';
import { Connection, type CommandFrame } from './connection.ts';
import * as groups from './groups.ts';
import * as services from './services.ts';
import { answerVer, answerVersionQuery } from './negotiation.ts';
import { offerPage } from './ipg.ts';
import { initialMailMessage, newMailMessage } from './mail-notices.ts';
import { rateLimit, SlidingWindow } from '../core/rate.ts';

export interface NotificationContext {
  config: ServerConfig;
  log: Logger;
  store: Store;
  bus: Bus;
  listLimits: ListLimits;
  sessions: Set<NotificationSession>;
  /** host:port of the SB that new switchboard sessions should use. */
  switchboardAddress(): string;
  /** Public base URL of msnd's web server, for URL replies (MSNP5.md 9.16). */
  webBaseUrl(): string;
  /** FND, SDC/SND, PAG and NOT (services.ts). */
  services: services.NsServices;
}

type Phase = 'connected' | 'negotiated' | 'challenged' | 'authenticated' | 'ended';

/** Parameter counts including the TrID, for commands that carry one. */
interface AuthenticatedCommand {
  args: [min: number, max: number];
  run(session: NotificationSession, trid: string, args: string[], payload?: Buffer): Promise<void> | void;
}

const EDITABLE_LISTS = new Set(['FL', 'AL', 'BL']);
const ALL_LISTS = new Set(['FL', 'AL', 'BL', 'RL']);
const PHONE_PROPERTIES = new Set(['PHH', 'PHW', 'PHM', 'MOB']);

/** The Notification Server side of one client connection (MSNP5.md 6, 7, 9, 10). */
export class NotificationSession implements SessionEndpoint {
  readonly sessionId: string;
  readonly conn: Connection;
  private phase: Phase = 'connected';
  private dialect: Dialect = 'MSNP5';
  private challenge = '';
  private pendingHandle = '';
  private user: UserSession | undefined;
  private synced = false;
  private imsOn = true;
  private readonly mspAuth = randomBytes(24).toString('base64url');
  private loginTime = 0;
  private readonly transfers: SlidingWindow;
  private ending: Promise<void> | undefined;
  /** CHL/QRY of MSNP6+ sessions (MSNP5.md 9.27). */
  readonly challenges: SessionChallenges;

  constructor(
    socket: Socket,
    readonly ctx: NotificationContext,
    /** This connection's place among those before login (admission.ts); left at `USR … OK`. */
    private readonly admission?: Admission,
  ) {
    this.conn = new Connection(
      socket,
      {
        maxLineBytes: ctx.config.limits.maxLineBytes,
        partialInputMs: ctx.config.limits.partialInputMs,
        payloadRule: (name, args) => this.payloadRule(name, args),
      },
      ctx.log.child({ role: 'ns' }),
      (frame) => this.process(frame),
    );
    this.sessionId = `${process.pid}.${this.conn.id}`;
    this.challenges = new SessionChallenges(this.conn, ctx.config.limits);
    this.transfers = new SlidingWindow(ctx.config.limits.switchboardRequestWindowMs);
    this.conn.setTimer(ctx.config.limits.unauthenticatedMs, 'login timeout');
    ctx.sessions.add(this);
    void this.conn.ended.then(() => this.end());
  }

  get features(): DialectFeatures {
    return featuresOf(this.dialect);
  }

  get isAuthenticated(): boolean {
    return this.phase === 'authenticated';
  }

  /** Client payload commands on the NS (MSNP5.md 3.6, 14). */
  private payloadRule(name: string, args: readonly string[]): { maxBytes: number } | undefined {
    if (!nsCommandExists(this.dialect, name)) return undefined;
    if (name === 'SDC') return services.sdcPayloadRule(args);
    if (name === 'PAG') return { maxBytes: 1024 };
    if (name === 'QRY') return { maxBytes: 1024 };
    return undefined;
  }

  // ---- the bus side -------------------------------------------------------------------------

  deliver(event: UserEvent): void {
    this.conn.enqueue(() => this.show(event));
  }

  async kick(reason: 'OTH' | 'SSD'): Promise<void> {
    if (!this.conn.isClosing) {
      this.conn.send('OUT', reason);
      this.conn.close(`OUT ${reason}`);
    }
    return this.end();
  }

  async republishPresence(): Promise<void> {
    if (this.phase === 'authenticated') await this.user?.republishPresence();
  }

  /** IPG (MSNP5.md 9.28): ipg.ts decides whether this session takes the page. */
  async page(page: IncomingPage): Promise<boolean> {
    return offerPage(this, page);
  }

  async ring(invitation: Invitation): Promise<boolean> {
    const user = this.user;
    if (this.phase !== 'authenticated' || !user || !this.imsOn) return false;
    const status = user.currentStatus;
    if (status === undefined || status === 'HDN') return false;
    if (!(await user.allowsViewer(invitation.caller))) return false;
    const cookie = await this.ctx.bus.tokens.issue(
      'rng',
      { handle: user.handle, sb: invitation.sessionId, ns: this.sessionId },
      this.ctx.config.limits.ringCookieMs,
    );
    if (this.conn.isClosing) return false;
    const { sessionId, address, caller, callerName } = invitation;
    this.conn.send('RNG', sessionId, address, 'CKI', cookie, caller, callerName);
    return true;
  }

  private show(event: UserEvent): void {
    if (this.phase !== 'authenticated' || !this.user) return;
    switch (event.kind) {
      case 'presence': {
        const shown = this.user.presenceUpdate(event);
        if (shown === null) this.conn.send('FLN', event.contact);
        else if (shown) this.conn.send('NLN', shown.status, event.contact, shown.name);
        return;
      }
      case 'reverse-added':
        this.conn.send('ADD', 0, 'RL', event.version, event.contact, event.name);
        return;
      case 'reverse-removed':
        this.conn.send('REM', 0, 'RL', event.version, event.contact);
        return;
      case 'phone':
        // Asynchronous BPR only reaches sessions that have sent SYN (MSNP5.md 7).
        if (this.synced && this.features.synPhones) {
          this.conn.send('BPR', event.version, event.contact, event.property, event.value);
        }
        return;
      case 'new-mail':
        this.conn.sendPayload('MSG', ['Hotmail', 'Hotmail'], newMailMessage(this, event));
        return;
    }
  }

  /** Ends the session once: watchers see it go offline, the bus forgets it (MSNP5.md 10.6). */
  end(): Promise<void> {
    this.ending ??= this.signOut();
    return this.ending;
  }

  private async signOut(): Promise<void> {
    const wasAuthenticated = this.phase === 'authenticated';
    this.phase = 'ended';
    this.challenges.stop();
    this.conn.close('session ended');
    await this.conn.drained();
    if (wasAuthenticated && this.user) {
      try {
        await this.user.signOut();
      } finally {
        await this.ctx.bus.forgetWebSession(this.mspAuth);
        await this.ctx.bus.detach(this.user.handle, this.sessionId);
        this.ctx.bus.signal({ kind: 'session-ended', handle: this.user.handle, sessionId: this.sessionId });
      }
      this.conn.log.info({ handle: this.user.handle }, 'signed out');
    }
    this.ctx.sessions.delete(this);
  }

  // ---- commands -----------------------------------------------------------------------------

  private async process(frame: CommandFrame): Promise<void> {
    if (this.phase === 'ended') return;
    if (this.phase !== 'authenticated') return this.processLogin(frame);
    if (!nsCommandExists(this.dialect, frame.name)) return this.close(`unknown command ${frame.name}`);
    if (frame.name === 'PNG') return this.ping(frame);
    if (frame.name === 'OUT') return this.out(frame);
    if (frame.name === 'VER' || frame.name === 'INF') return this.close(`${frame.name} after login`);
    if (frame.name === 'CVR') {
      answerVersionQuery(this.conn, frame, this.ctx.config);
      return;
    }
    const command = AUTHENTICATED_COMMANDS[frame.name];
    const [trid, ...args] = frame.args;
    if (!command || trid === undefined || !isTrId(trid)) return this.close(`unexpected ${frame.name}`);
    const [min, max] = command.args;
    if (frame.args.length < min || frame.args.length > max) return this.close(`${frame.name} arity`);
    try {
      await command.run(this, trid, args, frame.payload);
    } catch (error) {
      this.conn.log.error({ err: error, command: frame.name }, 'command failed');
      this.reply(String(ErrorCode.INTERNAL_SERVER), trid);
    }
  }

  /** MSNP5.md 7: the table of what each login state accepts. */
  private async processLogin(frame: CommandFrame): Promise<void> {
    const trid = frame.args[0];
    switch (frame.name) {
      case 'VER':
        if (this.phase !== 'connected') return this.notExpected(trid);
        return this.negotiate(frame);
      case 'INF':
        if (this.phase === 'challenged') return this.notExpected(trid);
        if (this.phase !== 'negotiated' || frame.args.length !== 1 || !isTrId(trid!)) return this.close('bad INF');
        return this.reply('INF', trid!, 'MD5');
      case 'USR':
        if (this.phase === 'connected') return this.close('USR before VER');
        return this.usr(frame);
      case 'CVR':
        if (this.phase === 'connected') return this.close('CVR before VER');
        answerVersionQuery(this.conn, frame, this.ctx.config);
        return;
      case 'PNG':
        if (this.phase === 'connected') return this.close('PNG before VER');
        return this.ping(frame);
      default:
        return this.close(`${frame.name} before login`);
    }
  }

  private negotiate(frame: CommandFrame): void {
    const outcome = answerVer(this.conn, frame, this.ctx.config);
    if ('dialect' in outcome) {
      this.dialect = outcome.dialect;
      this.phase = 'negotiated';
    } else if ('cvr0' in outcome) {
      // CVR0 mode is served by the DS; an NS has nothing to offer such a client.
      this.close('CVR0 on the NS');
    }
  }

  private async usr(frame: CommandFrame): Promise<void> {
    const [trid, scheme, stage, value] = frame.args;
    if (trid === undefined || !isTrId(trid)) return this.close('bad TrID');
    if (this.phase === 'authenticated') return this.reply(String(ErrorCode.ALREADY_LOGIN), trid);
    if (frame.args.length !== 4 || scheme !== 'MD5' || (stage !== 'I' && stage !== 'S')) return this.close('bad USR');
    if (stage === 'I') {
      if (this.phase === 'challenged') return this.notExpected(trid);
      return this.challengeFor(trid, value!);
    }
    if (this.phase !== 'challenged') return this.close('USR S before USR I');
    return this.verify(trid, value!);
  }

  private challengeFor(trid: string, handle: string): void {
    if (!isValidHandle(handle) && lacksDomain(handle)) {
      this.reply(String(ErrorCode.FQDN_MISSING), trid);
      return this.close('handle without domain');
    }
    // Every account, existing or not, gets a challenge; the failure comes at USR S (D-5).
    this.pendingHandle = normalizeHandle(handle);
    this.challenge = newChallenge(Math.floor(Date.now() / 1000));
    this.phase = 'challenged';
    this.reply('USR', trid, 'MD5', 'S', this.challenge);
  }

  private async verify(trid: string, response: string): Promise<void> {
    const handle = this.pendingHandle;
    // The session limit first, before any password check (MSNP5.md 13; services.ts).
    const place = services.sessionPlace(this, handle);
    if (typeof place === 'number') return this.refuseLogin(trid, place, 'session limit');
    // A login replacing its own session at the limit gets the busy code for every failure (services.ts).
    const failure = place === 'replacing' ? services.busyCode(this) : undefined;
    const limits = this.ctx.config.limits;
    // Failed logins on every node (MSNP5.md 6.4: too many → 911); this refusal does not count as one.
    const failures = failedLogins(this.ctx.bus.rates, this.conn.remoteAddress, handle, {
      perAddress: limits.failedLoginsPerAddress,
      perAccount: limits.failedLoginsPerAccount,
      perAddressAndAccount: limits.failedLoginsPerAddressAndAccount,
      windowMs: limits.failedLoginWindowMs,
    });
    if (await failures.lockedOut()) return this.refuseLogin(trid, failure ?? ErrorCode.AUTHENTICATION_FAILED, 'failed-login limit');
    const policy = { requireVerified: this.ctx.config.requireVerified };
    const outcome = await authenticate(this.ctx.store, handle, this.challenge, response, policy, this.features.usrOkVerifiedFlag);
    if (!('ok' in outcome)) {
      if (outcome.error === ErrorCode.AUTHENTICATION_FAILED) await failures.failed();
      return this.refuseLogin(trid, failure ?? this.loginError(outcome.error), `authenticate: ${outcome.error}`);
    }
    await this.signIn(trid, outcome.account);
  }

  /** A refused login's code in this session's dialect. */
  private loginError(code: number): number {
    // MSNP2–4 clients do not know 924 (MSNP5.md 13: new in MSNP5) and none of their codes says "verify":
    // 911, which tells no more than a wrong password would, rather than 920 "server full" (a decision).
    if (code === ErrorCode.NOT_VERIFIED && this.dialectLevel < 5) return ErrorCode.AUTHENTICATION_FAILED;
    return code;
  }

  private refuseLogin(trid: string, code: number, reason: string): void {
    this.conn.log.info({ handle: this.pendingHandle, code, reason }, 'login refused');
    this.reply(String(code), trid);
    this.close('login refused');
  }

  private async signIn(trid: string, account: Account): Promise<void> {
    const { store, bus, listLimits } = this.ctx;
    const user = await UserSession.open(account, store, bus, listLimits);
    await bus.attach(account.handle, this);
    this.loginTime = Math.floor(Date.now() / 1000);
    // MSPAuth signs the browser in while this session lasts (MSNP5.md 9.16, 12.1).
    await bus.registerWebSession(this.mspAuth, { handle: account.handle, loginTime: this.loginTime, sessionId: this.sessionId });
    if (this.conn.isClosing) {
      await bus.forgetWebSession(this.mspAuth);
      await bus.detach(account.handle, this.sessionId);
      return;
    }
    this.user = user;
    this.phase = 'authenticated';
    this.conn.clearTimer();
    this.admission?.leave();
    const ok = ['OK', account.handle, account.friendlyName];
    if (this.features.usrOkVerifiedFlag) ok.push(account.verified ? '1' : '0');
    const lines = [encodeLine('USR', trid, ...ok), this.profile(account)];
    const unreadMail = await initialMailMessage(this, account.id);
    if (unreadMail) lines.push(Buffer.concat([encodeLine('MSG', 'Hotmail', 'Hotmail', unreadMail.length), unreadMail]));
    this.conn.sendBatch(lines);
    await services.deliverAlertsAtSignIn(this);
    this.conn.log.info({ handle: account.handle, dialect: this.dialect }, 'signed in');
  }

  /** The profile message (MSNP5.md 12.1). */
  private profile(account: Account): Buffer {
    const body = profileMessage(this.features.fullProfile, {
      loginTime: this.loginTime,
      // 1 only when there is a webmail for INBOX to lead to (MSNP5.md 12.1, 9.16).
      emailEnabled: this.ctx.config.webmailUrl !== undefined,
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
      mspAuth: this.mspAuth,
    });
    return Buffer.concat([encodeLine('MSG', 'Hotmail', 'Hotmail', body.length), body]);
  }

  private ping(frame: CommandFrame): void {
    if (frame.args.length !== 0) return this.close('PNG with parameters');
    this.conn.send('QNG');
  }

  private out(frame: CommandFrame): Promise<void> | void {
    if (frame.args.length !== 0) return this.close('OUT with parameters');
    // D-19: the NS answers OUT with OUT, then closes.
    this.conn.send('OUT');
    return this.close('OUT');
  }

  // ---- authenticated commands (called from the table) ---------------------------------------

  get session(): UserSession {
    if (!this.user) throw new Error('no user session');
    return this.user;
  }

  reply(name: string, ...args: (string | number)[]): void {
    this.conn.send(name, ...args);
  }

  replyBatch(lines: Buffer[]): void {
    this.conn.sendBatch(lines);
  }

  close(reason: string): void {
    this.conn.close(reason);
  }

  notExpected(trid: string | undefined): void {
    if (trid !== undefined && isTrId(trid)) this.reply(String(ErrorCode.NOT_EXPECTED), trid);
    this.close('not expected during login');
  }

  async syn(trid: string, clientVersion: string): Promise<void> {
    if (!/^\d{1,10}$/.test(clientVersion)) return this.close('bad SYN version');
    const snapshot = await this.session.snapshot({ phones: this.features.synPhones, groups: this.features.groups });
    const { account, contacts } = snapshot;
    this.synced = true;
    const version = account.listVersion;
    if (Number(clientVersion) === version && version !== 0) return this.reply('SYN', trid, version);
    const lines = [
      encodeLine('SYN', trid, version),
      encodeLine('GTC', trid, version, account.gtc),
      encodeLine('BLP', trid, version, account.blp),
    ];
    if (this.features.synPhones) lines.push(...ownPhoneLines(trid, version, account.phones));
    if (this.features.groups) lines.push(...groups.groupLines(trid, version, snapshot.groups));
    for (const list of ['FL', 'AL', 'BL', 'RL'] as const) {
      lines.push(...this.listLines(trid, list, version, contacts, this.features.synPhones));
    }
    this.replyBatch(lines);
  }

  async lst(trid: string, list: string): Promise<void> {
    if (!ALL_LISTS.has(list)) return this.close('bad list');
    const { account, contacts } = await this.session.snapshot({ phones: false, groups: false });
    this.replyBatch(this.listLines(trid, list as ListName, account.listVersion, contacts, false));
  }

  private listLines(trid: string, list: ListName, version: number, contacts: SyncEntry[], withPhones: boolean): Buffer[] {
    const members = contacts.filter((c) => c.lists[list]);
    if (members.length === 0) return [encodeLine('LST', trid, list, version, 0, 0)];
    return members.flatMap((entry, index) => {
      const fields = [trid, list, version, index + 1, members.length, entry.handle, entry.name];
      // MSNP7 FL lines end with the contact's groups (MSNP5.md 9.4, 9.5).
      if (list === 'FL' && this.features.groups) fields.push(entry.groups.join(','));
      const lines = [encodeLine('LST', ...fields)];
      if (withPhones && list === 'FL' && entry.visiblePhones) {
        lines.push(...contactPhoneLines(version, entry.handle, entry.visiblePhones));
      }
      return lines;
    });
  }

  async setting(trid: string, command: 'GTC' | 'BLP', value: string): Promise<void> {
    const allowed = command === 'GTC' ? ['A', 'N'] : ['AL', 'BL'];
    if (!allowed.includes(value)) return this.close(`bad ${command} value`);
    const result =
      command === 'GTC'
        ? await this.session.setGtc(value as 'A' | 'N')
        : await this.session.setBlp(value as 'AL' | 'BL');
    if ('error' in result) return this.reply(String(result.error), trid);
    this.reply(command, trid, result.version, value);
  }

  /** ADD (MSNP5.md 9.8): the checks in the reference's order. */
  async add(trid: string, list: string, rawHandle: string, rawName: string, rawGroup?: string): Promise<void> {
    if (!EDITABLE_LISTS.has(list)) return this.close('ADD to a list the server keeps');
    const groupArg = groups.groupArgument(this, list, rawGroup);
    if (groupArg === 'close') return this.close('bad ADD group');
    const { group } = groupArg;
    const name = acceptEncoded(rawName, NAME_MAX_BYTES);
    if (!name.ok && name.reason === 'too-long') return this.close('name too long');
    const handle = normalizeHandle(rawHandle);
    if (!isValidHandle(rawHandle) || handle === this.session.handle || !name.ok) {
      return this.reply(String(ErrorCode.INVALID_PARAMETER), trid);
    }
    const result = await this.session.add(list as EditableList, handle, name.wire, group);
    if ('error' in result) return this.reply(String(result.error), trid);
    const groupToken = group === undefined ? [] : [group];
    const lines = [encodeLine('ADD', trid, list, result.version, handle, name.wire, ...groupToken)];
    if (result.phones && this.synced && this.features.synPhones) {
      lines.push(...contactPhoneLines(result.version, handle, result.phones));
    }
    if (result.initial) lines.push(initialLine(trid, { handle, shown: result.initial }));
    this.replyBatch(lines);
  }

  /** REM (MSNP5.md 9.9). */
  async rem(trid: string, list: string, rawHandle: string, rawGroup?: string): Promise<void> {
    if (!EDITABLE_LISTS.has(list)) return this.close('REM from a list the server keeps');
    const groupArg = groups.groupArgument(this, list, rawGroup);
    if (groupArg === 'close') return this.close('bad REM group');
    const { group } = groupArg;
    const handle = normalizeHandle(rawHandle);
    const result = await this.session.remove(list as EditableList, handle, group);
    if ('error' in result) return this.reply(String(result.error), trid);
    if (group === undefined) this.reply('REM', trid, list, result.version, handle);
    else this.reply('REM', trid, list, result.version, handle, group);
  }

  /** REA (MSNP5.md 9.10). */
  async rea(trid: string, rawHandle: string, rawName: string): Promise<void> {
    const name = acceptEncoded(rawName, NAME_MAX_BYTES);
    if (!name.ok && name.reason === 'too-long') return this.close('name too long');
    const handle = normalizeHandle(rawHandle);
    if (handle !== this.session.handle) {
      if (!name.ok) return this.reply(String(ErrorCode.INVALID_FRIENDLY_NAME), trid);
      const result = await this.session.renameContact(handle, name.wire);
      if ('error' in result) return this.reply(String(result.error), trid);
      return this.reply('REA', trid, result.version, handle, name.wire);
    }
    if (!name.ok || this.isReserved(name.text)) return this.reply(String(ErrorCode.INVALID_FRIENDLY_NAME), trid);
    const limits = this.ctx.config.limits;
    // Counted per account on every node, so that signing in again, anywhere, does not reset it (9.10).
    const renames = rateLimit(this.ctx.bus.rates, `self-rename:${handle}`, limits.selfRenames, limits.selfRenameWindowMs);
    if (await renames.usedUp()) return this.reply(String(ErrorCode.RATE_LIMITED), trid);
    await renames.use();
    const { version } = await this.session.renameSelf(name.wire);
    this.ctx.bus.signal({ kind: 'renamed', handle, name: name.wire });
    this.reply('REA', trid, version, handle, name.wire);
  }

  private isReserved(text: string): boolean {
    const lower = text.toLowerCase();
    return this.ctx.config.reservedNames.some((word) => lower.includes(word.toLowerCase()));
  }

  /** CHG (MSNP5.md 9.11); the first one is followed by the ILN batch. */
  async chg(trid: string, status: string): Promise<void> {
    if (!(STATUSES as readonly string[]).includes(status)) {
      return this.reply(String(ErrorCode.INVALID_PARAMETER), trid);
    }
    const { initial } = await this.session.changeStatus(status as Status);
    const lines = [encodeLine('CHG', trid, status)];
    for (const contact of initial ?? []) lines.push(initialLine(trid, contact));
    this.replyBatch(lines);
    // The first challenge comes shortly after the first CHG (MSNP5.md 9.27); start() ignores later ones.
    if (this.features.challenges) this.challenges.start();
  }

  /** PRP (MSNP5.md 9.14). */
  async prp(trid: string, property: string, rawValue: string | undefined): Promise<void> {
    if (property.length > 3) return this.close('property name too long');
    if (!PHONE_PROPERTIES.has(property)) return this.reply(String(ErrorCode.NOT_EXPECTED), trid);
    let value = rawValue ?? '';
    if (property === 'MOB') {
      if (value !== 'Y' && value !== 'N') return this.close('MOB takes Y or N');
    } else if (value !== '') {
      const checked = acceptEncoded(value, PHONE_MAX_BYTES);
      if (!checked.ok) return this.close('bad phone value');
      value = checked.wire;
    }
    const result = await this.session.setPhone(property as 'PHH' | 'PHW' | 'PHM' | 'MOB', value);
    this.reply('PRP', trid, result.version, property, result.value);
  }

  /** XFR SB (MSNP5.md 9.2): a one-use cookie for a new switchboard session. */
  async xfr(trid: string, kind: string): Promise<void> {
    if (kind !== 'SB') return this.close('XFR to anything but SB');
    const status = this.session.currentStatus;
    // Hidden, or not yet present (no CHG so far), users cannot open switchboards (MSNP5.md 10.4).
    if (status === undefined || status === 'HDN') return this.reply(String(ErrorCode.NOT_ALLOWED_WHEN_OFFLINE), trid);
    const limits = this.ctx.config.limits;
    if (this.transfers.count('xfr') >= limits.switchboardRequests) return this.reply(String(ErrorCode.USER_TOO_ACTIVE), trid);
    this.transfers.add('xfr');
    const data = { handle: this.session.handle, ns: this.sessionId };
    const cookie = await this.ctx.bus.tokens.issue('xfr', data, limits.transferCookieMs);
    this.reply('XFR', trid, 'SB', this.ctx.switchboardAddress(), 'CKI', cookie);
  }

  /** IMS (MSNP5.md 9.22): switchboard invitations on or off for this session. */
  ims(trid: string, value: string): void {
    if (value !== 'ON' && value !== 'OFF') return this.close('IMS takes ON or OFF');
    this.imsOn = value === 'ON';
    this.reply('IMS', trid, 0, value);
  }

  get acceptsInvitations(): boolean {
    return this.imsOn;
  }

  get dialectLevel(): number {
    return dialectLevel(this.dialect);
  }
}

const AUTHENTICATED_COMMANDS: Record<string, AuthenticatedCommand> = {
  USR: { args: [1, 4], run: (s, trid) => s.reply(String(ErrorCode.ALREADY_LOGIN), trid) },
  SYN: { args: [2, 2], run: (s, trid, [version]) => s.syn(trid, version!) },
  LST: { args: [2, 2], run: (s, trid, [list]) => s.lst(trid, list!) },
  GTC: { args: [2, 2], run: (s, trid, [value]) => s.setting(trid, 'GTC', value!) },
  BLP: { args: [2, 2], run: (s, trid, [value]) => s.setting(trid, 'BLP', value!) },
  ADD: { args: [4, 5], run: (s, trid, [list, handle, name, group]) => s.add(trid, list!, handle!, name!, group) },
  REM: { args: [3, 4], run: (s, trid, [list, handle, group]) => s.rem(trid, list!, handle!, group) },
  REA: { args: [3, 3], run: (s, trid, [handle, name]) => s.rea(trid, handle!, name!) },
  CHG: { args: [2, 2], run: (s, trid, [status]) => s.chg(trid, status!) },
  PRP: { args: [2, 3], run: (s, trid, [property, value]) => s.prp(trid, property!, value) },
  IMS: { args: [2, 2], run: (s, trid, [value]) => s.ims(trid, value!) },
  XFR: { args: [2, 2], run: (s, trid, [kind]) => s.xfr(trid, kind!) },
  URL: { args: [2, 3], run: services.url },
  FND: { args: [6, 6], run: services.fnd },
  SDC: { args: [1, 64], run: services.sdc },
  SND: { args: [1, 64], run: services.snd },
  PAG: { args: [3, 3], run: services.pag },
  LSG: { args: [1, 1], run: groups.lsg },
  ADG: { args: [3, 3], run: groups.adg },
  RMG: { args: [2, 2], run: groups.rmg },
  REG: { args: [4, 4], run: groups.reg },
  QRY: { args: [3, 3], run: (s, trid, [clientId], payload) => s.challenges.answer(trid, clientId!, payload!) },
  CHL: { args: [1, 1], run: (s, trid) => s.challenges.requested(trid) },
};

function ownPhoneLines(trid: string, version: number, phones: Phones): Buffer[] {
  return (['PHH', 'PHW', 'PHM', 'MOB', 'MBE'] as const).map((p) => encodeLine('PRP', trid, version, p, phones[p]));
}

function contactPhoneLines(version: number, handle: string, phones: Phones): Buffer[] {
  return (['PHH', 'PHW', 'PHM', 'MOB'] as const).map((p) => encodeLine('BPR', version, handle, p, phones[p]));
}

function initialLine(trid: string, contact: InitialPresence): Buffer {
  return encodeLine('ILN', trid, contact.shown.status, contact.handle, contact.shown.name);
}

