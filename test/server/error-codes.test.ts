/**
 * Every error code msnd sends is one the reference lists for that command in that dialect
 * (MSNP5.md 3.3, 13; issue 11 point 3), and the connection ends or stays by the reference's rule.
 *
 * REFERENCE below is the reference's table: for each client command of each server, the codes that
 * may answer it and the dialects in which they may, each with its section. Then the codes are
 * observed on the wire, over TCP against a real server, from two kinds of traffic:
 *
 * - deterministic requests that provoke every error path of src/server and src/core (each
 *   `failure(ErrorCode.…)`, each core refusal, the dispatcher's 715), in every dialect;
 * - random and edge-case command sequences in every dialect, in the style of fuzz.test.ts and
 *   fuzz-switchboard.test.ts, for the DS, the NS before and after sign-in, and the SB.
 *
 * Every `<code> <TrID>` line is attributed to the command this connection sent with that TrID,
 * and checked against the table. The deterministic part must provoke every code msnd sends (the
 * table's `sends` ranges), so a path that stops answering fails here too. The close rule (the
 * dispatcher's `closesAfter`; MSNP5.md 6.4, 7, 9.18, 9.19, 9.27, 11.2, 11.4): an error before
 * sign-in ends the connection, and so do 503 and 540; every other error leaves it open.
 *
 * MSND_FUZZ_SEED overrides the random part's seed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import { isReplyTo, type Received } from '../../src/client/received.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import { ALL_DIALECTS, type Dialect } from '../../src/protocol/dialects.ts';
import { TestMsnd } from '../helpers/msnd.ts';

// ---- The reference's table ----------------------------------------------------------------------

type Server = 'DS' | 'NS' | 'SB';
type Level = 2 | 3 | 4 | 5 | 6 | 7;
type Range = readonly [from: Level, to: Level];

interface Allowance {
  code: number;
  /** The dialects in which the reference lists the code for the command. */
  allowed: Range;
  /** The dialects in which msnd sends it (the deterministic part must provoke each); null: never. */
  sends: Range | null;
}

const EVERY: Range = [2, 7];
const MSNP5_ON: Range = [5, 7];
const MSNP6_ON: Range = [6, 7];
const MSNP7: Range = [7, 7];

/** Listed for the command in `allowed`, sent by msnd in `sends` (by default wherever allowed). */
function code(n: number, allowed: Range = EVERY, sends: Range = allowed): Allowance {
  return { code: n, allowed, sends };
}

/** Listed by the reference, never sent by msnd. */
function unused(n: number, allowed: Range = EVERY): Allowance {
  return { code: n, allowed, sends: null };
}

const REFERENCE: Readonly<Record<Server, Readonly<Record<string, readonly Allowance[]>>>> = {
  DS: {
    VER: [code(715)], // 5 ("as 4.1"), 4.1: a second VER during login → 715, then close
    INF: [], // 5
    USR: [code(206)], // 5: a handle whose domain is missing → 206; any other bad USR closes
    CVQ: [], // 4.4
  },
  NS: {
    VER: [code(715)], // 4.1, 7: VER again while NEGOTIATED or CHALLENGED → 715, then close
    INF: [code(715)], // 7: INF while CHALLENGED → 715, then close
    USR: [
      code(206), // 6.4, 3.5: USR I with a handle without domain
      code(207), // 7, 9.1, 13: USR after login
      code(715), // 6.1, 7: a second USR I before success
      code(911), // 6.4: wrong password, unknown account, too many failed attempts
      unused(910), // 6.4: "910/921/922 (busy)"
      unused(921), // 6.4
      code(920, EVERY, [2, 4]), // 6.4, 13: not accepting new users; msnd's full-server answer to MSNP2–4
      code(922, MSNP5_ON), // 6.4, 13: busy, "New" in MSNP5 ("MSNP5+ clients")
      code(923, [4, 7]), // 6.4, 13: kids account without consent ("MSNP4+ clients")
      code(924, MSNP5_ON, [5, 5]), // 6.4, 13: unverified, "New as USR reply in MSNP5"; MSNP6+ sign in with verified 0
    ],
    CVR: [], // 9.3, D-6: answered at any time after VER
    PNG: [], // 9.23
    OUT: [], // 9.26
    SYN: [], // 9.4
    LST: [], // 9.5
    GTC: [code(218)], // 9.6
    BLP: [code(218)], // 9.7
    ADD: [code(201), code(205), code(210), code(215), code(219), code(224, MSNP7)], // 9.8 checks 4–9, 3.5
    REM: [code(216), code(224, MSNP7), code(225, MSNP7)], // 9.9
    REA: [code(209), code(216), code(800)], // 9.10
    CHG: [code(201)], // 9.11, D-9
    XFR: [code(913), code(713), unused(281), unused(714)], // 9.2, 10.4; 13 (714: too many SB sessions for one user)
    URL: [code(201)], // 9.16
    FND: [code(201), code(301)], // 9.17
    // 9.18: malformed → 503; "effect as SDC", whose index without an entry is 201 (9.19, 9.17: older clients used SND with the index)
    SND: [code(503), code(201)],
    SDC: [code(503, MSNP5_ON), code(201, MSNP5_ON)], // 9.19
    PAG: [code(201, MSNP5_ON), code(205, MSNP5_ON), code(220, MSNP5_ON), code(800, MSNP5_ON)], // 9.20; 13 (800: failed PAG)
    PRP: [code(715, MSNP5_ON)], // 9.14: unknown property of up to 3 characters, and MBE
    IMS: [], // 9.22
    QRY: [code(540, MSNP6_ON)], // 9.27
    CHL: [], // 9.27
    LSG: [], // 9.29
    ADG: [code(223, MSNP7), code(229, MSNP7)], // 9.29
    RMG: [code(224, MSNP7), code(230, MSNP7)], // 9.29
    REG: [code(224, MSNP7), code(229, MSNP7)], // 9.29, D-17
  },
  SB: {
    USR: [code(911)], // 11.2
    ANS: [code(911)], // 11.4
    CAL: [code(208), code(215), code(217), code(713)], // 11.3 (217 also for a full session)
    MSG: [], // 11.6
    OUT: [], // 11.7
  },
};

/**
 * Section 13's codes that may answer any command: 500 unexpected fault (msnd: the NS, on a handler
 * that throws; provoked below by an injected store fault), 501 storage failure, 600 overload, 601 a
 * backing service down, 604 after shutdown began; on the SB also 280 internal SB failure.
 */
const ANY_COMMAND: Readonly<Record<Server, readonly number[]>> = {
  DS: [500, 501, 600, 601, 604],
  NS: [500, 501, 600, 601, 604],
  SB: [280, 500, 501, 600, 601, 604],
};

/**
 * What msnd sends where the reference does not list it. Each is reported to the lead; the
 * deterministic part must still observe each one, so that an entry goes when the code is fixed.
 */
interface Deviation {
  server: Server;
  command: string;
  code: number;
  levels: Range;
  why: string;
}

const KNOWN_DEVIATIONS: readonly Deviation[] = [
  {
    server: 'NS',
    command: 'SND',
    code: 800,
    levels: EVERY,
    why: '9.18 and 13 list no rate-limit code for SND; msnd answers 800 beyond limits.invitationEmails (a decision in paging.ts)',
  },
  {
    server: 'NS',
    command: 'SDC',
    code: 800,
    levels: MSNP5_ON,
    why: '9.19 and 13 list no rate-limit code for SDC; msnd answers 800 beyond limits.invitationEmails (a decision in paging.ts)',
  },
];

const inRange = (level: Level, [from, to]: Range): boolean => level >= from && level <= to;
const LEVELS: readonly Level[] = [2, 3, 4, 5, 6, 7];
const levelsOf = ([from, to]: Range): Level[] => LEVELS.filter((l) => l >= from && l <= to);
const dialectOf = (level: Level): Dialect => `MSNP${level}` as Dialect;

function allowedByReference(o: Observation): boolean {
  if (ANY_COMMAND[o.server].includes(o.code)) return true;
  const listed = Object.hasOwn(REFERENCE[o.server], o.command) ? REFERENCE[o.server][o.command] : undefined;
  return listed?.some((a) => a.code === o.code && inRange(o.level, a.allowed)) ?? false;
}

function knownDeviation(o: Observation): Deviation | undefined {
  return KNOWN_DEVIATIONS.find((d) => d.server === o.server && d.command === o.command && d.code === o.code && inRange(o.level, d.levels));
}

// ---- Observing the wire -------------------------------------------------------------------------

type Source = 'deterministic' | 'fuzz';

interface Observation {
  server: Server;
  command: string;
  level: Level;
  code: number;
  trid: string;
  /** Before `USR … OK` (NS, SB) or `ANS … OK` (SB); the DS is always before sign-in. */
  loginPhase: boolean;
  wire: Wire;
  /** Position of the error line among the lines this connection received. */
  index: number;
  source: Source;
}

const observations: Observation[] = [];
/** Lines that cannot be attributed, TrIDs reused by the test itself: each one fails the test. */
const problems: string[] = [];

const ERROR_NAME = /^[0-9]{3}$/;
/** 0 … 4294967295 (MSNP5.md 3.2); the server answers nothing to any other TrID. */
const isTrId = (token: string): boolean => /^[0-9]{1,10}$/.test(token) && Number(token) <= 4294967295;
const WAIT_MS = 15_000;
const PASSWORD = 'secret123';
/** The official client's QRY pair (MSNP5.md 9.27), computed here, not with the server's code. */
const CLIENT_ID = 'msmsgs@msnmsgr.com';
const CLIENT_KEY = 'Q1P7W2E4J9R8U3S5';
const CVR_ARGS = ['0x0409', 'win', '4.10', 'i386', 'MSMSGS', '3.0.0286', 'MSMSGS'];
/**
 * Sent before every barrier: more empty lines than the largest payload any server reads (1664
 * bytes, MSNP5.md 14), so that a payload announced longer than sent is complete before the barrier
 * and the rest is ignored (3.1: empty lines are ignored).
 */
const PADDING = '\r\n'.repeat(850);

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** The dialect the server chose: the first entry of its VER reply that is not CVR0 (MSNP5.md 4.1). */
function chosenLevel(entries: readonly string[]): Level | undefined {
  const first = entries.find((e) => e !== 'CVR0' && e !== 'CVRO');
  const match = first === undefined ? null : /^MSNP([2-7])$/.exec(first);
  return match ? (Number(match[1]) as Level) : undefined;
}

/**
 * One connection under observation: remembers which command each TrID it sent belongs to,
 * records every line it receives, and turns each `<code> <TrID>` line into an Observation.
 */
class Wire {
  readonly commands = new Map<string, string>();
  readonly lines: Received[] = [];
  level: Level | undefined;
  signedIn: boolean;
  challenge = '';
  /** The TrID of the last line of a random sequence (the barrier comes after it). */
  lastTrId: string | undefined;

  constructor(
    readonly conn: MsnpConnection,
    readonly server: Server,
    readonly source: Source,
    options: { level?: Level; signedIn?: boolean; answerChallenges?: boolean } = {},
  ) {
    this.level = options.level;
    this.signedIn = options.signedIn ?? false;
    conn.on('sent', (name, args) => {
      if (args[0] !== undefined && isTrId(args[0])) this.note(args[0], name);
    });
    conn.on('received', (r) => this.receive(r, options.answerChallenges ?? false));
  }

  note(trid: string, name: string): void {
    const known = this.commands.get(trid);
    if (known !== undefined && known !== name) problems.push(`${this.server}: the test sent TrID ${trid} with ${known} and ${name}`);
    this.commands.set(trid, name);
  }

  private receive(r: Received, answerChallenges: boolean): void {
    this.lines.push(r);
    if (ERROR_NAME.test(r.name)) this.observe(r);
    else if (r.name === 'VER' && this.level === undefined) this.level = chosenLevel(r.args.slice(1));
    else if ((r.name === 'USR' || r.name === 'ANS') && r.args[1] === 'OK') this.signedIn = true;
    else if (r.name === 'USR' && r.args[1] === 'MD5' && r.args[2] === 'S') this.challenge = r.args[3] ?? '';
    else if (answerChallenges && r.name === 'CHL' && r.args[0] === '0' && !this.conn.isClosed) {
      // A raw connection answers the server's challenges as the official client does (MSNP5.md 9.27).
      this.conn.sendPayload('QRY', [this.conn.nextTrId(), CLIENT_ID], md5(`${r.args[1]}${CLIENT_KEY}`));
    }
  }

  private observe(r: Received): void {
    const trid = r.args[0] ?? '';
    const command = this.commands.get(trid);
    if (r.args.length !== 1 || command === undefined || this.level === undefined) {
      problems.push(`${this.server} (${this.source}): "${r.line}" answers no command this connection sent with that TrID`);
      return;
    }
    const { server, level, source } = this;
    observations.push({
      server,
      command,
      level,
      code: Number(r.name),
      trid,
      loginPhase: !this.signedIn,
      wire: this,
      index: this.lines.length - 1,
      source,
    });
  }

  // -- deterministic requests

  /** `name t args…` (+ payload); resolves with the first line that answers it. */
  async request(name: string, args: readonly (string | number)[], payload?: string): Promise<Received> {
    const trid = this.conn.nextTrId();
    if (payload === undefined) this.conn.send(name, trid, ...args);
    else this.conn.sendPayload(name, [trid, ...args], payload);
    return this.conn.next(isReplyTo(trid), WAIT_MS);
  }

  async ok(name: string, args: readonly (string | number)[], payload?: string): Promise<Received> {
    const r = await this.request(name, args, payload);
    assert.ok(!ERROR_NAME.test(r.name), `${this.server} MSNP${this.level} ${name} ${args.join(' ')} → ${r.line}`);
    return r;
  }

  /** Expects exactly `<code> <TrID>`, then the close or a served probe, as the close rule says. */
  async refused(expected: number, name: string, args: readonly (string | number)[], payload?: string): Promise<void> {
    const r = await this.request(name, args, payload);
    const where = `${this.server} MSNP${this.level} ${name} ${args.join(' ')}`;
    assert.equal(r.line, `${expected} ${r.args[0]}`, where);
    if (!this.signedIn || expected === 503 || expected === 540) {
      const index = this.lines.length;
      await this.conn.waitClosed(WAIT_MS);
      assert.notEqual(this.conn.closeReason, 'closed by client', where);
      assert.deepEqual(
        this.lines.slice(index).map((l) => l.line),
        [],
        `${where}: lines after the error`,
      );
    } else {
      await this.probe();
    }
  }

  /** Still served: NS `CVR` is answered; SB `MSG t A 0` gets ACK or NAK. */
  async probe(): Promise<void> {
    if (this.server === 'SB') {
      const r = await this.request('MSG', ['A'], '');
      assert.match(r.line, /^(ACK|NAK) \d+$/);
    } else {
      await this.ok('CVR', CVR_ARGS);
    }
  }
}

function closesAfterError(o: Observation): boolean {
  return o.loginPhase || o.code === 503 || o.code === 540;
}

// ---- Servers and accounts ----------------------------------------------------------------------

let s: TestMsnd;
/** requireVerified and a session limit of 1: 924 and 920/922. */
let strict: TestMsnd;
let vic: MsnClient;

const crashes: unknown[] = [];
const onCrash = (error: unknown) => crashes.push(error);

const FUZZ_USERS = ['ann@example.com', 'ben@example.com', 'cat@example.com', 'kid@example.com'] as const;
/** The switchboard's random senders: the NS fuzz never changes their privacy, so `inv` may always invite them. */
const CHAT_USERS = ['sam@example.com', 'tom@example.com', 'uma@example.com'] as const;
const LIMITS = {
  forwardList: 2,
  selfRenames: 2,
  invitationEmails: 2,
  pages: 2,
  switchboardRequests: 3,
  refusedCalls: 2,
  // The random logins must never lock the address out of the deterministic ones.
  failedLoginsPerAddress: 1_000_000,
  challengeFirstMs: 50,
  challengeAnswerMs: 30_000,
};

async function accountId(server: TestMsnd, handle: string): Promise<number> {
  const account = await server.store.findAccount(handle);
  assert.ok(account, handle);
  return account.id;
}

before(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  s = await TestMsnd.start({ dialects: [...ALL_DIALECTS], limits: LIMITS });
  strict = await TestMsnd.start({ dialects: [...ALL_DIALECTS], requireVerified: true, maxSessions: 1 });
  const handles = [
    ...LEVELS.map((l) => `u${l}@example.com`),
    ...FUZZ_USERS,
    ...CHAT_USERS,
    'vic@example.com',
    'pam@example.com',
    'wes@example.com',
    'inv@example.com',
  ];
  await s.addUsers(...handles.map((handle) => ({ handle, password: PASSWORD })));
  const pam = await accountId(s, 'pam@example.com');
  await s.store.transaction((tx) => tx.updateAccount(pam, { phones: { PHM: '5550199', MOB: 'Y', MBE: 'Y' } }));
  const kid = await accountId(s, 'kid@example.com');
  await s.store.transaction((tx) => tx.updateAccount(kid, { kid: true }));
  // 26 listed entries answer one FND: more than 25 → 301 (MSNP5.md 9.17).
  for (let i = 1; i <= 26; i++) {
    await s.addUser({ handle: `dir${i}@example.com`, password: PASSWORD });
    const entry = { listed: true, firstName: 'Dana', lastName: 'Many', city: '', state: '', country: 'US' };
    await s.store.setDirectoryEntry(await accountId(s, `dir${i}@example.com`), entry);
  }
  for (const l of LEVELS) {
    await strict.addUser({ handle: `unv${l}@example.com`, password: PASSWORD, verified: false });
    await strict.addUser({ handle: `full${l}@example.com`, password: PASSWORD });
  }
  vic = await s.online('vic@example.com');
});

after(async () => {
  vic?.close();
  await s?.stop();
  await strict?.stop();
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
});

// ---- Deterministic: every error path -----------------------------------------------------------

async function connect(server: TestMsnd, port: 'ns' | 'ds' | number, role: Server, options: { level?: Level } = {}): Promise<Wire> {
  const number = port === 'ns' ? server.nsPort : port === 'ds' ? server.dsPort : port;
  const conn = await MsnpConnection.connect('127.0.0.1', number, { timeoutMs: WAIT_MS });
  return new Wire(conn, role, 'deterministic', { ...options, answerChallenges: role === 'NS' });
}

/** VER (and USR I when a handle is given) on a fresh NS connection. */
async function nsUpTo(server: TestMsnd, level: Level, handle?: string): Promise<Wire> {
  const w = await connect(server, 'ns', 'NS');
  await w.ok('VER', [dialectOf(level)]);
  assert.equal(w.level, level);
  if (handle !== undefined) await w.ok('USR', ['MD5', 'I', handle]);
  return w;
}

async function signIn(server: TestMsnd, level: Level, handle: string): Promise<Wire> {
  const w = await nsUpTo(server, level, handle);
  await w.ok('USR', ['MD5', 'S', md5(w.challenge + PASSWORD)]);
  assert.ok(w.signedIn);
  return w;
}

/** Runs `fn` with one store method throwing once: an unexpected fault in a handler. */
async function withStoreFault<K extends 'credentialsOf' | 'searchDirectory'>(
  server: TestMsnd,
  method: K,
  fn: () => Promise<void>,
): Promise<void> {
  const store = server.store;
  const original = store[method];
  store[method] = (async () => {
    store[method] = original;
    throw new Error(`injected ${method} fault`);
  }) as unknown as (typeof store)[K];
  try {
    await fn();
  } finally {
    store[method] = original;
  }
}

const page = (text: string) => `<TEXT xml:space="preserve">${text}</TEXT>`;

async function dispatchServerPaths(level: Level): Promise<void> {
  const again = await connect(s, 'ds', 'DS');
  await again.ok('VER', [dialectOf(level)]);
  await again.refused(715, 'VER', [dialectOf(level)]);
  const noDomain = await connect(s, 'ds', 'DS');
  await noDomain.ok('VER', [dialectOf(level)]);
  await noDomain.refused(206, 'USR', ['MD5', 'I', 'name@']);
}

async function loginPaths(level: Level): Promise<void> {
  const handle = `u${level}@example.com`;
  await (await nsUpTo(s, level)).refused(715, 'VER', [dialectOf(level)]);
  await (await nsUpTo(s, level, handle)).refused(715, 'VER', [dialectOf(level)]);
  await (await nsUpTo(s, level, handle)).refused(715, 'INF', []);
  await (await nsUpTo(s, level, handle)).refused(715, 'USR', ['MD5', 'I', handle]);
  await (await nsUpTo(s, level)).refused(206, 'USR', ['MD5', 'I', 'name@']);
  const wrong = await nsUpTo(s, level, handle);
  await wrong.refused(911, 'USR', ['MD5', 'S', md5(`${wrong.challenge}wrong`)]);
  const kid = await nsUpTo(s, level, 'kid@example.com');
  // 923 exists from MSNP4 (MSNP5.md 6.4); MSNP2–3 get 911.
  await kid.refused(level >= 4 ? 923 : 911, 'USR', ['MD5', 'S', md5(kid.challenge + PASSWORD)]);
  const fault = await nsUpTo(s, level, handle);
  await withStoreFault(s, 'credentialsOf', () => fault.refused(500, 'USR', ['MD5', 'S', md5(fault.challenge + PASSWORD)]));
}

/** The signed-in NS paths, then the SB's with a cookie from this session; ends with 503. */
async function notificationPaths(level: Level): Promise<void> {
  const me = `u${level}@example.com`;
  const w = await signIn(s, level, me);
  await w.refused(207, 'USR', ['MD5', 'I', me]);
  await w.refused(913, 'XFR', ['SB']); // not present before the first CHG (10.4)
  await w.refused(201, 'CHG', ['FLN']);
  await w.refused(218, 'GTC', ['A']);
  await w.refused(218, 'BLP', ['AL']);
  await w.refused(201, 'ADD', ['FL', 'a@b', 'Name']);
  await w.refused(201, 'ADD', ['FL', me, 'Name']);
  await w.refused(205, 'ADD', ['FL', 'nobody@example.com', 'Name']);
  await w.ok('ADD', ['FL', 'vic@example.com', 'Vic']);
  await w.refused(215, 'ADD', ['FL', 'vic@example.com', 'Vic']);
  await w.ok('ADD', ['FL', 'pam@example.com', 'Pam']);
  await w.refused(210, 'ADD', ['FL', 'wes@example.com', 'Wes']); // limits.forwardList = 2
  await w.ok('ADD', ['AL', 'vic@example.com', 'Vic']);
  await w.refused(219, 'ADD', ['BL', 'vic@example.com', 'Vic']);
  await w.refused(216, 'REM', ['AL', 'nobody@example.com']);
  await w.refused(216, 'REM', ['BL', 'vic@example.com']);
  if (level === 7) {
    await w.refused(224, 'ADD', ['FL', 'vic@example.com', 'Vic', 5]);
    await w.refused(224, 'REM', ['FL', 'vic@example.com', 5]);
    const group = (await w.ok('ADG', ['Friends', 0])).args[3]!;
    await w.refused(225, 'REM', ['FL', 'vic@example.com', group]);
    await w.refused(224, 'RMG', [9]);
    await w.refused(224, 'REG', [9, 'Name', 0]);
    await w.refused(230, 'RMG', [0]);
    await w.refused(229, 'ADG', ['g'.repeat(62), 0]);
    await w.refused(229, 'REG', [group, 'g'.repeat(62), 0]);
    for (let i = 2; i < 30; i++) await w.ok('ADG', [`G${i}`, 0]);
    await w.refused(223, 'ADG', ['OneTooMany', 0]);
  }
  await w.refused(216, 'REA', ['nobody@example.com', 'Name']);
  await w.refused(209, 'REA', [me, 'MSN%20Support']);
  await w.refused(209, 'REA', ['vic@example.com', '%FF']);
  await w.ok('REA', [me, 'First']);
  await w.ok('REA', [me, 'Second']);
  await w.refused(800, 'REA', [me, 'Third']); // limits.selfRenames = 2
  await w.ok('CHG', ['NLN']);
  const transfer = await w.ok('XFR', ['SB']);
  await w.ok('XFR', ['SB']);
  await w.ok('XFR', ['SB']);
  await w.refused(713, 'XFR', ['SB']); // limits.switchboardRequests = 3
  await w.refused(201, 'URL', ['NOSUCHSERVICE']);
  await w.refused(201, 'FND', ['a', 'b', 'c', 'd', 'e']);
  await w.refused(201, 'FND', ['fname=*', 'lname=Many', 'city=*', 'state=*', 'country=*']);
  await w.refused(301, 'FND', ['fname=Dana', 'lname=Many', 'city=*', 'state=*', 'country=*']);
  await withStoreFault(s, 'searchDirectory', () => w.refused(500, 'FND', ['fname=Dana', 'lname=Many', 'city=*', 'state=*', 'country=*']));
  const sdc = (target: string) => [target, '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Me'];
  if (level >= 5) {
    await w.refused(201, 'SDC', sdc('not-an-address'), 'note');
    await w.refused(201, 'SDC', sdc('99'), 'note'); // no entry 99 in the last FND result
  }
  await w.refused(201, 'SND', ['99']);
  await w.refused(201, 'SND', ['not-an-address']);
  await w.ok('SND', ['friend1@example.org']);
  await w.ok('SND', ['friend2@example.org']);
  // limits.invitationEmails = 2; 800 for SND and SDC is a known deviation (KNOWN_DEVIATIONS).
  await w.refused(800, 'SND', ['friend3@example.org']);
  if (level >= 5) {
    await w.refused(800, 'SDC', sdc('friend4@example.org'), 'note');
    await w.refused(201, 'PAG', ['a@b'], page('hi'));
    await w.refused(205, 'PAG', ['nobody@example.com'], page('hi'));
    await w.refused(220, 'PAG', ['wes@example.com'], page('hi')); // no mobile
    await w.refused(201, 'PAG', ['pam@example.com'], 'not a page');
    for (const text of ['one', 'two']) {
      const trid = String(w.conn.nextTrId());
      w.conn.sendPayload('PAG', [trid, 'pam@example.com'], page(text));
      await w.probe();
      assert.deepEqual(w.lines.filter(isReplyTo(trid)), [], 'an accepted PAG has no reply (MSNP5.md 9.20)');
    }
    await w.refused(800, 'PAG', ['pam@example.com'], page('three')); // limits.pages = 2
    await w.refused(715, 'PRP', ['PHX', '1']);
    await w.refused(715, 'PRP', ['MBE', 'Y']);
  }
  await switchboardPaths(level, me, transfer);
  await w.refused(503, 'SND', ['a', 'b']);
  if (level >= 5) await (await signIn(s, level, me)).refused(503, 'SDC', ['a', '0x0409', 'MSMSGS', 'MSMSGS', 'Y', 'Y', 'Me'], 'note');
  if (level >= 6) await (await signIn(s, level, me)).refused(540, 'QRY', [CLIENT_ID], 'f'.repeat(32));
}

async function switchboardPaths(level: Level, me: string, transfer: Received): Promise<void> {
  const [host, port] = transfer.args[2]!.split(':');
  assert.equal(host, '127.0.0.1');
  const sb = () => connect(s, Number(port), 'SB', { level });
  await (await sb()).refused(911, 'USR', [me, '1234.5678.9012']);
  await (await sb()).refused(911, 'ANS', [me, '1234.5678.9012', '12345678']);
  const w = await sb();
  await w.ok('USR', [me, transfer.args[4]!]);
  await w.refused(208, 'CAL', ['@@a']);
  await w.refused(215, 'CAL', [me]);
  await w.ok('CAL', ['vic@example.com']);
  await w.refused(215, 'CAL', ['vic@example.com']); // invited, not yet joined
  await w.refused(217, 'CAL', ['wes@example.com']); // offline
  await w.refused(217, 'CAL', ['nobody@example.com']);
  await w.refused(713, 'CAL', ['pam@example.com']); // limits.refusedCalls = 2
  w.conn.close();
  vic.conn.drain();
}

/** 924 (MSNP5) or 911 (MSNP2–4) for unverified accounts, then 920/922 with the session limit reached. */
async function strictLoginPaths(): Promise<void> {
  for (const level of LEVELS) {
    const handle = `unv${level}@example.com`;
    const w = await nsUpTo(strict, level, handle);
    const response = md5(w.challenge + PASSWORD);
    if (level <= 5) {
      // 924 is new in MSNP5 (MSNP5.md 13); MSNP2–4 clients get 911, which they know (issue 10 item 5).
      await w.refused(level === 5 ? 924 : 911, 'USR', ['MD5', 'S', response]);
      continue;
    }
    // MSNP6+: signed in with verified 0 (MSNP5.md 6.4). MSNP7's session stays: the limit of 1 is reached.
    assert.match((await w.ok('USR', ['MD5', 'S', response])).line, / 0$/);
    if (level === 6) {
      w.conn.send('OUT');
      await w.conn.waitClosed(WAIT_MS);
    }
  }
  for (const level of LEVELS) {
    const w = await nsUpTo(strict, level, `full${level}@example.com`);
    await w.refused(level >= 5 ? 922 : 920, 'USR', ['MD5', 'S', md5(w.challenge + PASSWORD)]);
  }
}

// ---- Random traffic ----------------------------------------------------------------------------

type TrIdSpec = 'auto' | 'big' | 'x' | '-3' | '4294967296' | '';

interface FuzzLine {
  name: string;
  /** null: a command without TrID (PNG, OUT). */
  trid: TrIdSpec | null;
  args: readonly string[];
  /** The payload as sent, and the length announced for it (which may lie). */
  payload?: { body: string; announced: number };
}

/** Valid TrIDs are unique on a connection, so that an error line names one command. */
const TRID = fc.oneof(
  { weight: 14, arbitrary: fc.constant<TrIdSpec>('auto') },
  { weight: 2, arbitrary: fc.constant<TrIdSpec>('big') },
  { weight: 1, arbitrary: fc.constantFrom<TrIdSpec>('x', '-3', '4294967296', '') },
);
const GOOD_TRID = fc.oneof({ weight: 6, arbitrary: fc.constant<TrIdSpec>('auto') }, { weight: 1, arbitrary: fc.constant<TrIdSpec>('big') });

/** Random tokens never look like a command, so that bytes swallowed by a payload cannot start a real one. */
const noise = fc.string({ minLength: 1, maxLength: 12 }).map((t) => {
  const clean = t.replace(/[\s\x00-\x1f]/g, 'x') || 'x';
  return /^[A-Z]{3}$/.test(clean) ? `${clean}x` : clean;
});

function line(name: string, args: fc.Arbitrary<readonly string[]>, trid: fc.Arbitrary<TrIdSpec> = GOOD_TRID): fc.Arbitrary<FuzzLine> {
  return fc.tuple(trid, args).map(([t, a]) => ({ name, trid: t, args: a }));
}

const oneOf = (...values: string[]) => fc.constantFrom(...values);
const args = (...parts: fc.Arbitrary<string>[]) => fc.tuple(...parts) as fc.Arbitrary<readonly string[]>;
const none = fc.constant<readonly string[]>([]);

const USER = oneOf(...FUZZ_USERS.slice(0, 3), 'vic@example.com', 'pam@example.com', 'nobody@example.com', 'a@b', 'name@', '@@');
const LIST = oneOf('FL', 'AL', 'BL');
const NAME = oneOf('Name', 'A%20B', 'Caf%C3%A9', '%FF', 'msn');
const GROUP = oneOf('0', '1', '2', '5', '29');
const PAGE_BODY = oneOf(page('hi'), page('&#x26;'), 'not a page', '');
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const SDC_ARGS = ['0x0409', 'MSMSGS', 'MSMSGS'] as const;

/** A payload command; the announced length is the body's unless given (then it may lie). */
function withPayload(name: string, trid: TrIdSpec, params: readonly string[], body: string, announced = Buffer.byteLength(body)): FuzzLine {
  return { name, trid, args: params, payload: { body, announced } };
}

/** Any of these command names with a TrID that may be broken and up to `max` random tokens. */
function anyCommand(names: readonly string[], max: number, tokens: fc.Arbitrary<string>): fc.Arbitrary<FuzzLine> {
  return fc
    .tuple(fc.constantFrom(...names), TRID, fc.array(tokens, { maxLength: max }))
    .map(([name, t, a]) => ({ name, trid: t, args: a }));
}

const TOKENS = fc.oneof(
  USER,
  oneOf('FL', 'AL', 'BL', 'RL', 'XL', 'fl'),
  oneOf('NLN', 'HDN', 'FLN', 'BSY', 'A', 'N', 'ON', 'OFF', 'SB', 'NS', 'PHH', 'MOB', 'Y', 'PHXX', 'INBOX', 'CHAT', 'MD5', 'I', 'S'),
  oneOf('0', '1', '29', '30', '-1', '4294967295', '4294967296', '99999999999999999999', '0x0409'),
  oneOf('Name', 'A%20B', '%FF%FE', '%', '%0A', 'Caf%C3%A9', 'x'.repeat(400), 'fname=A', 'lname=*'),
  noise,
);

const URL_SERVICE = oneOf('INBOX', 'MOBILE', 'CHGMOB', 'PROFILE', 'N2PACCOUNT', 'CHAT', 'FOO');
const COUNTRY = oneOf('country=*', 'country=US');
/** SDC/SND targets: an FND index (99 has no entry), an address, neither. */
const INVITEE = oneOf('1', '99', 'friend@example.org', 'bad');
const NS_NAMES = [
  ...['ADD', 'REM', 'REA', 'SYN', 'LST', 'GTC', 'BLP', 'CHG', 'PRP', 'IMS', 'XFR', 'URL', 'FND', 'SND', 'CVR', 'USR'],
  ...['LSG', 'ADG', 'RMG', 'REG', 'CHL', 'VER', 'INF', 'add', 'FOO'],
];

/** Well-formed NS commands: answered, with a reply or an error code, and the connection stays. */
const NS_ANSWERED: fc.Arbitrary<FuzzLine> = fc.oneof(
  line(
    'ADD',
    fc.tuple(LIST, USER, NAME).map((a) => [...a]),
  ),
  line(
    'ADD',
    fc.tuple(USER, NAME, GROUP).map(([u, n, g]) => ['FL', u, n, g]),
  ),
  line(
    'REM',
    fc.tuple(LIST, USER).map((a) => [...a]),
  ),
  line(
    'REM',
    fc.tuple(USER, GROUP).map(([u, g]) => ['FL', u, g]),
  ),
  line('REA', args(USER, NAME)),
  line('ADG', args(oneOf('Name', 'Caf%C3%A9', 'g'.repeat(62), '%FF'), oneOf('0'))),
  line('RMG', args(GROUP)),
  line('REG', args(GROUP, NAME, oneOf('0'))),
  line('GTC', args(oneOf('A', 'N'))),
  line('BLP', args(oneOf('AL', 'BL'))),
  line('CHG', args(oneOf('NLN', 'HDN', 'BSY', 'NLN', 'FLN', 'XXX'))),
  line('XFR', args(oneOf('SB'))),
  line(
    'URL',
    fc.tuple(URL_SERVICE, optional(oneOf('0x0409', 'x'))).map(([service, p]) => (p === undefined ? [service] : [service, p])),
  ),
  line(
    'FND',
    args(oneOf('fname=Dana', 'fname=*', 'fname=Ann'), oneOf('lname=Many', 'lname=*'), oneOf('city=*'), oneOf('state=*'), COUNTRY),
  ),
  line('FND', fc.array(TOKENS, { minLength: 5, maxLength: 5 })),
  line(
    'SND',
    fc.tuple(INVITEE, optional(oneOf('MSMSGS'))).map(([to, id]) => (id ? [to, '0x0409', 'MSMSGS', id] : [to])),
  ),
  line(
    'PRP',
    fc.tuple(oneOf('PHH', 'PHW', 'PHM', 'MOB', 'MBE', 'PHX'), oneOf('1', 'Y', 'N', '%20')).map(([p, v]) => [p, v]),
  ),
  line('USR', args(oneOf('MD5'), oneOf('I', 'S'), USER)),
  line('IMS', args(oneOf('ON', 'OFF'))),
  line('CVR', fc.constant(CVR_ARGS)),
  line('SYN', args(oneOf('0', '1'))),
  line('LST', args(oneOf('FL', 'AL', 'BL', 'RL'))),
  line('LSG', none),
  line('CHL', none),
  fc.tuple(GOOD_TRID, USER, PAGE_BODY).map(([t, u, body]) => withPayload('PAG', t, [u], body)),
  fc.tuple(GOOD_TRID, INVITEE, oneOf('note', '')).map(([t, to, body]) => withPayload('SDC', t, [to, ...SDC_ARGS, 'X', 'X', 'Me'], body)),
);

/** Edge cases that end the connection (MSNP5.md 3.7 and per command) or answer 503/540. */
const NS_CLOSING: fc.Arbitrary<FuzzLine> = fc.oneof(
  line(
    'ADD',
    fc.tuple(oneOf('RL', 'XL'), USER, NAME).map((a) => [...a]),
  ),
  line(
    'ADD',
    fc.tuple(USER, oneOf('x'.repeat(400))).map(([u, n]) => ['FL', u, n]),
  ),
  line(
    'ADD',
    fc.tuple(oneOf('AL', 'BL'), USER, NAME, GROUP).map((a) => [...a]),
  ),
  line(
    'REM',
    fc.tuple(USER, oneOf('30', 'x')).map(([u, g]) => ['FL', u, g]),
  ),
  line('GTC', args(oneOf('X'))),
  line('BLP', args(oneOf('CL'))),
  line('XFR', args(oneOf('NS'))),
  line('IMS', args(oneOf('X'))),
  line('SYN', args(oneOf('x'))),
  line('PRP', args(oneOf('PHONE'), oneOf('1'))),
  line('SND', fc.array(oneOf('1', 'bad', '0x0409', 'MSMSGS'), { minLength: 2, maxLength: 2 })),
  fc.tuple(GOOD_TRID, oneOf('1', 'friend@example.org')).map(([t, to]) => withPayload('SDC', t, [to, ...SDC_ARGS, 'Y', 'X', 'Me'], '')),
);

/** The NS after sign-in: answered commands (most), edge cases, random ones, payloads that may lie. */
const NS_LINE: fc.Arbitrary<FuzzLine> = fc.oneof(
  { weight: 40, arbitrary: NS_ANSWERED },
  { weight: 2, arbitrary: NS_CLOSING },
  {
    weight: 2,
    arbitrary: anyCommand(NS_NAMES, 5, TOKENS),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(oneOf('PAG', 'SDC', 'QRY', 'MSG'), TRID, fc.nat({ max: 60 }), fc.nat({ max: 60 }))
      .map(([name, t, announced, sent]) =>
        withPayload(name, t, [name === 'QRY' ? CLIENT_ID : 'ann@example.com'], 'p'.repeat(sent), announced),
      ),
  },
  { weight: 1, arbitrary: fc.constantFrom<FuzzLine>({ name: 'PNG', trid: null, args: [] }, { name: 'OUT', trid: null, args: [] }) },
);

/** The NS from the first byte: VER in many forms, INF, USR I/S (`RIGHT` is the right response), CVR, PNG, others. */
const VER_ARGS = fc.array(oneOf(...ALL_DIALECTS, 'CVR0', 'MSNP99', 'msnp5', 'MSNP8'), { minLength: 0, maxLength: 4 });
const LOGIN_LINE: fc.Arbitrary<FuzzLine> = fc.oneof(
  { weight: 4, arbitrary: line('VER', VER_ARGS, TRID) },
  { weight: 2, arbitrary: line('INF', none, TRID) },
  {
    weight: 5,
    arbitrary: line('USR', args(oneOf('MD5', 'CTP'), oneOf('I'), oneOf(...FUZZ_USERS, 'nobody@example.com', 'name@', '@@', 'a@b')), TRID),
  },
  {
    weight: 5,
    arbitrary: line('USR', args(oneOf('MD5'), oneOf('S', 'I'), oneOf('RIGHT', 'RIGHT', '0123456789abcdef0123456789abcdef', 'x')), TRID),
  },
  { weight: 1, arbitrary: line('CVR', fc.constant(CVR_ARGS), TRID) },
  { weight: 1, arbitrary: fc.constant<FuzzLine>({ name: 'PNG', trid: null, args: [] }) },
  { weight: 2, arbitrary: anyCommand(['SYN', 'CHG', 'ADD', 'XFR', 'OUT', 'FOO', 'CVQ'], 3, TOKENS) },
);

/** Login sequences that start well more often than not, so that they reach the later states. */
const LOGIN_SEQUENCE = fc.record({
  level: fc.constantFrom(...LEVELS),
  handle: fc.constantFrom(...FUZZ_USERS),
  prefix: fc.constantFrom<'none' | 'ver' | 'usr'>('none', 'ver', 'usr', 'usr'),
  lines: fc.array(LOGIN_LINE, { minLength: 1, maxLength: 8 }),
});

const DS_LINE: fc.Arbitrary<FuzzLine> = fc.oneof(
  { weight: 3, arbitrary: line('VER', VER_ARGS, TRID) },
  { weight: 2, arbitrary: line('INF', none, TRID) },
  {
    weight: 4,
    arbitrary: line('USR', args(oneOf('MD5', 'CTP'), oneOf('I', 'S'), oneOf('ann@example.com', 'name@', '@@', 'a@b', 'x')), TRID),
  },
  { weight: 1, arbitrary: line('CVQ', fc.constant(CVR_ARGS), TRID) },
  { weight: 1, arbitrary: anyCommand(['OUT', 'XFR', 'CVR', 'FOO', 'PNG'], 3, TOKENS) },
);

const SB_USER = oneOf(
  'inv@example.com',
  ...CHAT_USERS,
  'ann@example.com',
  'ben@example.com',
  'wes@example.com',
  'ghost@example.com',
  '@@',
  'a@b',
);
const SB_LINE: fc.Arbitrary<FuzzLine> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(TRID, oneOf('U', 'N', 'A', 'D', 'u'), fc.nat({ max: 60 }), fc.nat({ max: 60 }))
      .map(([t, mode, announced, sent]) => withPayload('MSG', t, [mode], 'm'.repeat(sent), announced)),
  },
  { weight: 4, arbitrary: line('CAL', args(SB_USER), TRID) },
  {
    weight: 3,
    arbitrary: anyCommand(
      ['CAL', 'ANS', 'USR', 'BYE', 'IRO', 'JOI', 'XFR', 'msg', 'FOO', 'PNG'],
      4,
      fc.oneof(SB_USER, oneOf('U', 'N', 'A', '0', '4294967296', 'x'.repeat(200)), noise),
    ),
  },
  { weight: 1, arbitrary: fc.constant<FuzzLine>({ name: 'OUT', trid: null, args: [] }) },
);

/** Writes one random line; a valid TrID is fresh on this connection and remembered. */
function sendFuzz(w: Wire, l: FuzzLine): void {
  const { conn } = w;
  let trid: string | undefined;
  if (l.trid === 'auto') trid = String(conn.nextTrId());
  else if (l.trid === 'big') trid = String(4294967295 - conn.nextTrId());
  else if (l.trid !== null) trid = l.trid;
  const args = l.args.map((a) => (a === 'RIGHT' ? md5(w.challenge + PASSWORD) : a));
  const tokens = [l.name, ...(trid === undefined ? [] : [trid]), ...args, ...(l.payload ? [String(l.payload.announced)] : [])];
  const text = `${tokens.filter((t) => t !== '').join(' ')}\r\n${l.payload?.body ?? ''}`;
  if (trid !== undefined && isTrId(trid)) w.note(trid, l.name);
  // Bytes beyond an announced length start a line of their own, which closes: no open-after check then.
  w.lastTrId = l.payload && Buffer.byteLength(l.payload.body) > l.payload.announced ? undefined : trid;
  if (!conn.isClosed) conn.sendRaw(text);
}

/**
 * After a sequence: padding, then a command that is answered in every state that can still be
 * served (NS `CVR`, SB `MSG A 0`, DS `INF`), and a wait for its answer or for the close.
 */
async function barrier(w: Wire): Promise<void> {
  const { conn } = w;
  if (!conn.isClosed) {
    const trid = conn.nextTrId();
    const probe = w.server === 'NS' ? `CVR ${trid} ${CVR_ARGS.join(' ')}` : w.server === 'SB' ? `MSG ${trid} A 0` : `INF ${trid}`;
    w.note(String(trid), probe.slice(0, 3));
    try {
      conn.sendRaw(`${PADDING}${probe}\r\n`);
      await conn.next(isReplyTo(trid), WAIT_MS);
    } catch (error) {
      if (!conn.isClosed) throw error;
    }
  }
}

/** The close rule for random traffic: after a closing error nothing more, then the close; after the last line's error, the barrier's answer. */
function checkCloseRule(w: Wire): void {
  for (const o of observations) {
    if (o.wire !== w) continue;
    const later = w.lines.slice(o.index + 1).map((l) => l.line);
    const what = `${o.server} MSNP${o.level} ${o.command} → ${o.code}${o.loginPhase ? ' (before sign-in)' : ''}`;
    if (closesAfterError(o)) {
      assert.deepEqual(later, [], `${what}: lines after an error that closes`);
      assert.ok(w.conn.isClosed && w.conn.closeReason !== 'closed by client', `${what}: the connection stays open`);
    } else if (o.trid === w.lastTrId) {
      assert.ok(later.length > 0, `${what}: the connection closed after an error that leaves it open`);
    }
  }
}

async function fuzzNotification(session: { user: string; level: Level; sync: boolean; lines: FuzzLine[] }): Promise<void> {
  const client = await s.login(session.user, { dialects: [dialectOf(session.level)] });
  const w = new Wire(client.conn, 'NS', 'fuzz', { level: session.level, signedIn: true });
  try {
    if (session.sync) await client.sync(0);
    for (const l of session.lines) sendFuzz(w, l);
    await barrier(w);
    checkCloseRule(w);
  } finally {
    client.close();
  }
}

async function fuzzLogin(session: { level: Level; handle: string; prefix: 'none' | 'ver' | 'usr'; lines: FuzzLine[] }): Promise<void> {
  const conn = await MsnpConnection.connect('127.0.0.1', s.nsPort, { timeoutMs: WAIT_MS });
  const w = new Wire(conn, 'NS', 'fuzz', { answerChallenges: true });
  try {
    if (session.prefix !== 'none') sendFuzz(w, { name: 'VER', trid: 'auto', args: [dialectOf(session.level), 'CVR0'] });
    if (session.prefix === 'usr') sendFuzz(w, { name: 'USR', trid: 'auto', args: ['MD5', 'I', session.handle] });
    let lastUsrI: string | undefined = session.prefix === 'usr' ? w.lastTrId : undefined;
    for (const l of session.lines) {
      // `RIGHT` needs the challenge: wait for the answer to the last USR I (or the close).
      if (lastUsrI !== undefined && l.args.includes('RIGHT')) {
        await conn.next(isReplyTo(lastUsrI), WAIT_MS).catch((error: unknown) => {
          if (!conn.isClosed) throw error;
        });
        lastUsrI = undefined;
      }
      sendFuzz(w, l);
      if (l.name === 'USR' && l.args[1] === 'I' && w.lastTrId !== undefined && isTrId(w.lastTrId)) lastUsrI = w.lastTrId;
    }
    await barrier(w);
    checkCloseRule(w);
  } finally {
    conn.close();
  }
}

async function fuzzDispatch(lines: FuzzLine[]): Promise<void> {
  const conn = await MsnpConnection.connect('127.0.0.1', s.dsPort, { timeoutMs: WAIT_MS });
  const w = new Wire(conn, 'DS', 'fuzz');
  try {
    for (const l of lines) sendFuzz(w, l);
    await barrier(w);
    checkCloseRule(w);
  } finally {
    conn.close();
  }
}

/**
 * A session of two: `inv` opens it and invites the sender (signed in at `level`), who joins with ANS
 * and then sends random lines. The sender's own refused CALs (713 after two) never stop a later setup.
 */
async function fuzzSwitchboard(session: { user: string; level: Level; lines: FuzzLine[] }): Promise<void> {
  const sender = await s.login(session.user, { dialects: [dialectOf(session.level)] });
  const host = await s.login('inv@example.com');
  try {
    await sender.changeStatus('NLN');
    await host.changeStatus('NLN');
    const opener = await SwitchboardSession.open(host, { timeoutMs: WAIT_MS });
    await opener.invite(sender.handle);
    const joined = await SwitchboardSession.answer(sender, await nextInvitation(sender, WAIT_MS), { timeoutMs: WAIT_MS });
    const w = new Wire(joined.conn, 'SB', 'fuzz', { level: session.level, signedIn: true });
    try {
      for (const l of session.lines) sendFuzz(w, l);
      await barrier(w);
      checkCloseRule(w);
    } finally {
      opener.conn.close();
      joined.conn.close();
    }
  } finally {
    sender.close();
    host.close();
  }
}

// ---- The tests --------------------------------------------------------------------------------

function describeObservation(o: Observation): string {
  return `${o.server} ${o.command} MSNP${o.level} → ${o.code} (${o.source})`;
}

test('deterministic: every error path in every dialect answers a code the reference lists, and closes by the rule', async () => {
  for (const level of LEVELS) {
    await dispatchServerPaths(level);
    await loginPaths(level);
    await notificationPaths(level);
  }
  await strictLoginPaths();

  const mine = observations.filter((o) => o.source === 'deterministic');
  assert.deepEqual(problems, []);
  const unlisted = mine.filter((o) => !allowedByReference(o) && !knownDeviation(o)).map(describeObservation);
  assert.deepEqual(unlisted, [], 'codes the reference does not list for the command and dialect');

  // Every code msnd sends was provoked, in every dialect where it sends it.
  const seen = new Set(mine.map((o) => `${o.server} ${o.command} ${o.level} ${o.code}`));
  const missing: string[] = [];
  for (const server of ['DS', 'NS', 'SB'] as const) {
    for (const [command, allowances] of Object.entries(REFERENCE[server])) {
      for (const a of allowances) {
        for (const level of a.sends ? levelsOf(a.sends) : []) {
          if (!seen.has(`${server} ${command} ${level} ${a.code}`)) missing.push(`${server} ${command} MSNP${level} ${a.code}`);
        }
      }
    }
  }
  // 500 on an internal fault: at USR S (closes) and after sign-in (stays open), in every dialect.
  for (const level of LEVELS) {
    for (const command of ['USR', 'FND']) if (!seen.has(`NS ${command} ${level} 500`)) missing.push(`NS ${command} MSNP${level} 500`);
  }
  // A known deviation that is no longer seen must leave KNOWN_DEVIATIONS.
  for (const d of KNOWN_DEVIATIONS) {
    for (const level of levelsOf(d.levels)) {
      if (!seen.has(`${d.server} ${d.command} ${level} ${d.code}`))
        missing.push(`deviation ${d.server} ${d.command} MSNP${level} ${d.code}`);
    }
  }
  assert.deepEqual(missing, [], 'codes msnd sends that the deterministic requests no longer provoke');
  assert.deepEqual(crashes, []);
});

test('random traffic in every dialect on the DS, the NS (before and after sign-in) and the SB: only listed codes, closed by the rule', async () => {
  const seed = Number(process.env.MSND_FUZZ_SEED ?? 20261127);
  const settings = { seed, endOnFailure: true, includeErrorInReport: true } as const;
  const first = observations.length;
  const level = fc.constantFrom(...LEVELS);
  await fc.assert(fc.asyncProperty(fc.array(DS_LINE, { minLength: 1, maxLength: 6 }), fuzzDispatch), { ...settings, numRuns: 60 });
  await fc.assert(fc.asyncProperty(LOGIN_SEQUENCE, fuzzLogin), { ...settings, numRuns: 150 });
  const signedIn = fc.record({
    user: fc.constantFrom(...FUZZ_USERS.slice(0, 3)),
    level,
    sync: fc.boolean(),
    lines: fc.array(NS_LINE, { minLength: 1, maxLength: 25 }),
  });
  await fc.assert(fc.asyncProperty(signedIn, fuzzNotification), { ...settings, numRuns: 300 });
  const chat = fc.record({ user: fc.constantFrom(...CHAT_USERS), level, lines: fc.array(SB_LINE, { minLength: 1, maxLength: 12 }) });
  await fc.assert(fc.asyncProperty(chat, fuzzSwitchboard), { ...settings, numRuns: 60 });

  const random = observations.slice(first);
  assert.deepEqual(problems, []);
  const unlisted = random.filter((o) => !allowedByReference(o) && !knownDeviation(o)).map(describeObservation);
  assert.deepEqual([...new Set(unlisted)], [], 'codes the reference does not list for the command and dialect');
  // The store is healthy here: a 500 would be a handler that threw on some input.
  assert.deepEqual(random.filter((o) => o.code === 500).map(describeObservation), []);
  assert.deepEqual(crashes, []);
  // A guard against generators that stopped reaching the servers: errors from each, and many codes.
  for (const [server, loginPhase] of [
    ['DS', true],
    ['NS', true],
    ['NS', false],
    ['SB', false],
  ] as const) {
    assert.ok(
      random.some((o) => o.server === server && o.loginPhase === loginPhase),
      `no error from the ${server}${loginPhase ? ' before sign-in' : ''}`,
    );
  }
  assert.ok(new Set(random.map((o) => o.code)).size >= 15, `only ${new Set(random.map((o) => o.code)).size} different codes`);
});
