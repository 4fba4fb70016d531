// Session level: a signed-in NS session with a model of lists and presence kept up to date from
// every received line, and one method per command. Wire access stays available through `conn`.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { answerServerChallenge } from './challenges.ts';
import { MsnpConnection } from './connection.ts';
import type { Connector } from './transport.ts';
import { UnexpectedReplyError } from './errors.ts';
import { acceptReply, command, commandAll, exchange } from './exchange.ts';
import { askDispatch, authenticate } from './login.ts';
import type { LoginOptions } from './login.ts';
import { SessionModel, isSyncEnd } from './model.ts';
import type { ListChange, ListName, ModelEvent, Presence } from './model.ts';
import { handleAsName } from './names.ts';
import { parseIncomingPage } from './pages.ts';
import type { ReceivedPage } from './pages.ts';
import { isErrorCode, isReplyTo } from './received.ts';
import type { Received } from './received.ts';
import { switchboardInvitation, switchboardTicket } from './referrals.ts';
import type { SwitchboardInvitation, SwitchboardTicket } from './referrals.ts';

export type EditableList = Exclude<ListName, 'RL'>;

export interface MsnClientEvents {
  /** a contact's presence changed: ILN/NLN (status, name) or FLN / removal from FL (null, null) */
  presence: [handle: string, status: string | null, name: string | null];
  /** the lists or settings changed (replies to this client and pushes alike) */
  list: [change: ListChange];
  /** own status changed (CHG reply or `CHG 0` push) */
  status: [status: string];
  /** `MSG` (from the NS: `Hotmail Hotmail`) */
  message: [message: Received];
  /** `NOT` or `IPG` */
  alert: [alert: Received];
  /** `IPG`: a page to this user, read (MSNP5.md 9.28) */
  page: [page: ReceivedPage];
  /** `RNG`: someone invites this user to a switchboard */
  ring: [invitation: SwitchboardInvitation];
  /** MSNP6+: a server `CHL 0 <challenge>`, already answered with QRY (MSNP5.md 9.27) */
  challenge: [challenge: string];
  /** `OUT` from the server: '' in reply to signOut, else the reason (OTH, SSD) */
  out: [reason: string];
  closed: [];
}

export interface SyncResult {
  /** true when the server answered only `SYN t v` (the version asked for is current) */
  upToDate: boolean;
  version: number;
  /** every line of the answer, the SYN line first, BPR lines included */
  lines: Received[];
}

/**
 * A signed-in NS session. Conventions:
 * - names, phone values and group names are %-encoded wire strings everywhere (see names.ts);
 * - command methods resolve with the server's reply line and reject with MsnpError (`.code`) when
 *   the server answers with an error code, UnexpectedReplyError for any other line, and
 *   ConnectionClosedError / WaitTimeoutError when no answer comes;
 * - lines that follow a reply (BPR and ILN after `ADD … FL`, …) stay in `conn`'s inbox, but the
 *   model is updated from every received line as it arrives, whoever takes it from the inbox.
 */
export class MsnClient extends EventEmitter<MsnClientEvents> {
  readonly conn: MsnpConnection;
  readonly model = new SessionModel();
  /** the dialect the server chose (set by login) */
  dialect = '';
  /** MSNP6+ verified flag of `USR … OK`; undefined for MSNP2–5 */
  verified: boolean | undefined;
  /** headers of the profile message (set by login) */
  profile: Record<string, string> = {};
  /** how this client reached its NS (login's `connector`); its switchboards are reached the same way */
  connector: Connector | undefined;

  /** Wraps a connection; the model follows everything received from now on. Use login() to sign in. */
  constructor(conn: MsnpConnection) {
    super();
    this.conn = conn;
    conn.on('received', (r) => this.#onReceived(r));
    conn.on('sent', (name, args) => this.model.noteSent(name, args));
    conn.on('closed', () => this.emit('closed'));
  }

  /** Signs in (through the DS unless viaDispatch is false). Error codes reject with LoginError. */
  static async login(opts: LoginOptions): Promise<MsnClient> {
    const ns = opts.viaDispatch === false ? { ...opts, nextTrId: opts.firstTrId } : await askDispatch(opts);
    const conn = await MsnpConnection.connect(ns.host, ns.port, { ...opts, firstTrId: ns.nextTrId }, 'ns');
    const client = new MsnClient(conn);
    if (opts.connector) client.connector = opts.connector;
    try {
      const result = await authenticate(client.conn, opts);
      client.dialect = result.dialect;
      client.verified = result.verified;
      client.profile = result.profile;
      return client;
    } catch (err) {
      client.conn.close();
      throw err;
    }
  }

  get handle(): string {
    return this.model.handle;
  }

  get friendlyName(): string {
    return this.model.friendlyName;
  }

  get status(): string | null {
    return this.model.status;
  }

  get version(): number {
    return this.model.version;
  }

  get gtc(): string | null {
    return this.model.gtc;
  }

  get blp(): string | null {
    return this.model.blp;
  }

  get phones(): Record<string, string> {
    return this.model.phones;
  }

  get lists(): Record<ListName, Map<string, string>> {
    return this.model.lists;
  }

  get contactPhones(): Map<string, Record<string, string>> {
    return this.model.contactPhones;
  }

  get groups(): Map<string, string> {
    return this.model.groups;
  }

  get contactGroups(): Map<string, string[]> {
    return this.model.contactGroups;
  }

  get presence(): Map<string, Presence> {
    return this.model.presence;
  }

  /** SYN; takes the whole answer (BPR lines too) from the inbox. The model is updated either way. */
  async sync(version = 0): Promise<SyncResult> {
    const ex = await exchange(this.conn, 'SYN', [version]);
    const first = acceptReply(ex, (r) => r.name === 'SYN', 'SYN t version');
    const serverVersion = Number(first.args[1]);
    const upToDate = serverVersion === version && version !== 0;
    const lines = upToDate ? [first] : [first, ...(await this.#takeDump(ex.trId))];
    return { upToDate, version: serverVersion, lines };
  }

  /** CHG; resolves with `CHG t status`. */
  changeStatus(status: string): Promise<Received> {
    return command(this.conn, 'CHG', [status]);
  }

  /** ADD to FL, AL or BL; the name defaults to the handle with '@' as '%40'; group is MSNP7 only. */
  add(list: EditableList, handle: string, name: string = handleAsName(handle), group?: string): Promise<Received> {
    return command(this.conn, 'ADD', group === undefined ? [list, handle, name] : [list, handle, name, group]);
  }

  /** REM from FL, AL or BL; group is MSNP7 only. */
  remove(list: EditableList, handle: string, group?: string): Promise<Received> {
    return command(this.conn, 'REM', group === undefined ? [list, handle] : [list, handle, group]);
  }

  /** MSNP7 LSG: every `LSG t v i n id name 0` line (the model's groups are replaced). */
  listGroups(): Promise<Received[]> {
    return commandAll(this.conn, 'LSG', [], (r) => Number(r.args[2]) === Number(r.args[3]));
  }

  /** MSNP7 ADG; resolves with `ADG t v name id 0` (the new group's id is args[3]). */
  addGroup(name: string): Promise<Received> {
    return command(this.conn, 'ADG', [name, 0]);
  }

  /** MSNP7 RMG; the server moves contacts left in no group to group 0. */
  removeGroup(id: number | string): Promise<Received> {
    return command(this.conn, 'RMG', [id]);
  }

  /** MSNP7 REG; resolves with `REG t v id name 0`. */
  renameGroup(id: number | string, name: string): Promise<Received> {
    return command(this.conn, 'REG', [id, name, 0]);
  }

  /** REA: renames a contact, or this user when handle is the own handle. */
  rename(handle: string, name: string): Promise<Received> {
    return command(this.conn, 'REA', [handle, name]);
  }

  setFriendlyName(name: string): Promise<Received> {
    return this.rename(this.handle, name);
  }

  setGtc(value: 'A' | 'N'): Promise<Received> {
    return command(this.conn, 'GTC', [value]);
  }

  setBlp(value: 'AL' | 'BL'): Promise<Received> {
    return command(this.conn, 'BLP', [value]);
  }

  /** PRP; no value (or '') clears the property. */
  setPhone(property: string, value = ''): Promise<Received> {
    return command(this.conn, 'PRP', [property, value]);
  }

  /** LST: one list's lines (the model's copy of that list is replaced). */
  fetchList(list: ListName): Promise<Received[]> {
    return commandAll(this.conn, 'LST', [list], (r) => Number(r.args[3]) === Number(r.args[4]));
  }

  /** XFR SB: where and with which cookie to open a switchboard. */
  async requestSwitchboard(): Promise<SwitchboardTicket> {
    const ex = await exchange(this.conn, 'XFR', ['SB']);
    const reply = acceptReply(ex, (r) => switchboardTicket(r) !== undefined, 'XFR t SB host:port CKI cookie');
    return switchboardTicket(reply) as SwitchboardTicket;
  }

  /** PNG → QNG; resolves with the round trip in milliseconds. */
  async ping(): Promise<number> {
    const started = performance.now();
    this.conn.send('PNG');
    await this.conn.next('QNG');
    return performance.now() - started;
  }

  /** OUT; waits for the server's `OUT` and for the close. */
  async signOut(): Promise<void> {
    this.conn.send('OUT');
    await this.conn.next((r) => r.name === 'OUT' && r.args.length === 0);
    await this.conn.waitClosed();
  }

  /** Drops the connection without OUT. */
  close(): void {
    this.conn.close();
  }

  async #takeDump(trId: number): Promise<Received[]> {
    const isDumpLine = (r: Received): boolean => isReplyTo(trId)(r) || r.name === 'BPR';
    const lines: Received[] = [];
    for (;;) {
      const r = await this.conn.next(isDumpLine);
      lines.push(r);
      if (isSyncEnd(r)) return lines;
      if (isErrorCode(r)) throw new UnexpectedReplyError(`SYN ${trId}`, r, 'the rest of the SYN dump');
    }
  }

  #onReceived(r: Received): void {
    const challenge = answerServerChallenge(this.conn, r);
    if (challenge !== undefined) return void this.emit('challenge', challenge);
    for (const event of this.model.apply(r)) this.#emitModelEvent(event);
    this.#emitLineEvent(r);
  }

  #emitModelEvent(event: ModelEvent): void {
    if (event.type === 'list') this.emit('list', event.change);
    else if (event.type === 'status') this.emit('status', event.status);
    else this.emit('presence', event.handle, event.presence?.status ?? null, event.presence?.name ?? null);
  }

  #emitLineEvent(r: Received): void {
    if (r.name === 'MSG') this.emit('message', r);
    else if (r.name === 'NOT' || r.name === 'IPG') this.#emitAlert(r);
    else if (r.name === 'OUT') this.emit('out', r.args[0] ?? '');
    else if (r.name === 'RNG') this.#emitRing(r);
  }

  #emitAlert(r: Received): void {
    this.emit('alert', r);
    const page = r.name === 'IPG' ? parseIncomingPage(r) : undefined;
    if (page) this.emit('page', page);
  }

  #emitRing(r: Received): void {
    const invitation = switchboardInvitation(r);
    if (invitation) this.emit('ring', invitation);
  }
}
