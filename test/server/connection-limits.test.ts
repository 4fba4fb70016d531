/**
 * Connections before login, bounded per address and in total (issue 10 item 6, DESIGN.md "Behaviour
 * at the edges"; src/server/admission.ts), over TCP: silent connections beyond a bound close the
 * oldest ones, a warning and a counter say so, and while the flood holds a real client still signs
 * in and a signed-in user still opens a switchboard and chats. 127.0.0.2… are other loopback
 * source addresses (Linux routes all of 127/8 to lo).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import type { PoolStats } from '../../src/server/admission.ts';
import { TestMsnd } from '../helpers/msnd.ts';

const PER_ADDRESS = 5;
const TOTAL = 12;
const SB_TOTAL = 12;
const PASSWORD = 'secret123';
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

let s: TestMsnd;
let logs: Record<string, unknown>[];
const opened: { close(): void }[] = [];

beforeEach(async () => {
  logs = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  s = await TestMsnd.start(
    { limits: { unauthenticatedPerAddress: PER_ADDRESS, unauthenticatedTotal: TOTAL, switchboardUnauthenticatedTotal: SB_TOTAL } },
    { log },
  );
  await s.addUsers({ handle: ALICE, password: PASSWORD, name: 'Alice' }, { handle: BOB, password: PASSWORD, name: 'Bob' });
});

afterEach(async () => {
  for (const conn of opened.splice(0)) conn.close();
  await s.stop();
});

const login = (): PoolStats => s.msnd.stats.login;
const switchboard = (): PoolStats => s.msnd.stats.switchboard;

/** The reasons of the 'connection closed' lines logged so far. */
const closeReasons = (): unknown[] => logs.filter((l) => l.msg === 'connection closed').map((l) => l.reason);

/** Every connection the pool has taken in so far, while nothing in it signs in or closes by itself. */
const taken = (pool: PoolStats): number => pool.open + pool.shedPerAddress + pool.shedTotal;

/** Polls a condition of the server's state (there is no event for it) until it holds. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Opens `n` connections from `localAddress` that send nothing, one after another, each taken in by
 * the server's `pool` before the next, so that the server sees them in this order.
 */
async function flood(port: number, localAddress: string, n: number, pool: () => PoolStats): Promise<MsnpConnection[]> {
  const conns: MsnpConnection[] = [];
  for (let i = 0; i < n; i++) {
    const before = taken(pool());
    const conn = await MsnpConnection.connect('127.0.0.1', port, { localAddress, timeoutMs: 10_000 });
    opened.push(conn);
    conns.push(conn);
    await until(() => taken(pool()) === before + 1, `connection ${i + 1} from ${localAddress}`);
  }
  return conns;
}

async function closedByServer(conns: readonly MsnpConnection[]): Promise<void> {
  for (const conn of conns) {
    await conn.waitClosed(10_000);
    assert.notEqual(conn.closeReason, 'closed by client');
    assert.deepEqual(
      conn.drain().map((r) => r.line),
      [],
      'closed without a reply',
    );
  }
}

/** The connection is still served: VER is answered (it has not signed in, so PNG would not do). */
async function served(conn: MsnpConnection): Promise<void> {
  assert.equal(conn.isClosed, false);
  conn.send('VER', 1, 'MSNP5', 'CVR0');
  assert.equal((await conn.next(undefined, 10_000)).line, 'VER 1 MSNP5 CVR0');
}

function warnings(pool: string): Record<string, unknown>[] {
  return logs.filter((l) => l.level === 40 && l.pool === pool);
}

function signIn(handle: string, localAddress?: string): Promise<MsnClient> {
  return MsnClient.login({
    host: '127.0.0.1',
    port: s.dsPort,
    handle,
    password: PASSWORD,
    timeoutMs: 10_000,
    ...(localAddress && { localAddress }),
  }).then((client) => {
    opened.push(client);
    return client;
  });
}

async function online(handle: string): Promise<MsnClient> {
  const client = await signIn(handle);
  await client.sync(0);
  await client.changeStatus('NLN');
  return client;
}

describe('connections before login: the per-address bound', () => {
  test('silent connections beyond it close the oldest of that address, DS and NS together; the newest are served', async () => {
    const ns = await flood(s.nsPort, '127.0.0.1', PER_ADDRESS + 3, login);
    await closedByServer(ns.slice(0, 3));
    assert.deepEqual({ ...login(), open: login().open }, { open: PER_ADDRESS, shedPerAddress: 3, shedTotal: 0 });
    // the DS counts in the same pool
    const ds = await flood(s.dsPort, '127.0.0.1', 1, login);
    await closedByServer(ns.slice(3, 4));
    assert.equal(login().shedPerAddress, 4);
    for (const conn of [...ns.slice(4), ...ds]) await served(conn);

    const [warning] = warnings('login');
    assert.ok(warning, 'a warning is logged');
    assert.equal(warning.msg, 'too many connections before login from one address: closed its oldest');
    assert.deepEqual(
      [warning.limit, warning.address, warning.fromAddress, warning.perAddress, warning.total],
      ['address', '127.0.0.1', PER_ADDRESS, PER_ADDRESS, TOTAL],
    );
    // Each shed connection's own line says why it closed (it was not its peer).
    await until(() => closeReasons().length >= 4, "the shed connections' lines");
    assert.deepEqual(closeReasons(), Array(4).fill('shed: too many connections before login from its address'));
  });

  test('other addresses keep their connections', async () => {
    const other = await flood(s.nsPort, '127.0.0.2', 2, login);
    await flood(s.nsPort, '127.0.0.1', PER_ADDRESS * 2, login);
    assert.equal(login().shedPerAddress, PER_ADDRESS);
    for (const conn of other) await served(conn);
  });
});

describe('connections before login: the total bound', () => {
  test('a new connection into a full pool closes the oldest of all, whatever its address', async () => {
    const first = await flood(s.nsPort, '127.0.0.2', 5, login);
    const second = await flood(s.nsPort, '127.0.0.3', 5, login);
    const third = await flood(s.dsPort, '127.0.0.4', 2, login);
    assert.deepEqual({ ...login(), open: login().open }, { open: TOTAL, shedPerAddress: 0, shedTotal: 0 });
    const newcomers = await flood(s.nsPort, '127.0.0.5', 3, login);
    await closedByServer(first.slice(0, 3));
    assert.deepEqual({ ...login(), open: login().open }, { open: TOTAL, shedPerAddress: 0, shedTotal: 3 });
    for (const conn of [...first.slice(3), ...second, ...third, ...newcomers]) await served(conn);
    const [warning] = warnings('login');
    assert.equal(warning?.msg, 'too many connections before login: closed the oldest');
    assert.deepEqual([warning.limit, warning.address, warning.open], ['total', '127.0.0.5', TOTAL]);
    await until(() => closeReasons().length >= 3, "the shed connections' lines");
    assert.deepEqual(closeReasons(), Array(3).fill('shed: too many connections before login'));
  });
});

describe('while a flood holds', () => {
  /** Fills the DS/NS pool to both bounds from the given addresses (127.0.0.1 among them). */
  async function fillLoginPool(): Promise<MsnpConnection[]> {
    const conns: MsnpConnection[] = [];
    for (const address of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) conns.push(...(await flood(s.nsPort, address, PER_ADDRESS + 2, login)));
    assert.equal(login().open, TOTAL);
    assert.ok(login().shedPerAddress > 0 && login().shedTotal > 0, JSON.stringify(login()));
    return conns;
  }

  test('a real client signs in, from the flooding address and from another; a signed-in session is never shed', async () => {
    await fillLoginPool();
    const alice = await signIn(ALICE);
    const bob = await signIn(BOB, '127.0.0.9');
    // signed in: out of the pool, whatever comes next from the same address
    await flood(s.dsPort, '127.0.0.1', TOTAL * 2, login);
    await flood(s.nsPort, '127.0.0.9', TOTAL, login);
    assert.equal(login().open, TOTAL);
    await alice.ping();
    await bob.ping();
    assert.equal(alice.conn.isClosed, false);
    assert.equal(bob.conn.isClosed, false);
  });

  test('a signed-in user opens a switchboard, invites and chats; the SB counts its own pool', async () => {
    const alice = await online(ALICE);
    const bob = await online(BOB);
    await until(() => login().open === 0, "the logins' DS connections to close");

    // A switchboard connection not yet joined is not touched by a flood of the DS and NS.
    const ticket = await alice.requestSwitchboard();
    const aliceSb = await MsnpConnection.connect(ticket.host, ticket.port, { timeoutMs: 10_000 });
    opened.push(aliceSb);
    await until(() => switchboard().open === 1, 'the SB connection to be taken in');
    await fillLoginPool();
    await flood(s.dsPort, '127.0.0.1', TOTAL, login);
    assert.deepEqual({ ...switchboard(), open: switchboard().open }, { open: 1, shedPerAddress: 0, shedTotal: 0 });
    aliceSb.send('USR', 1, ALICE, ticket.cookie);
    assert.equal((await aliceSb.next(undefined, 10_000)).line, `USR 1 OK ${ALICE} Alice`);
    assert.equal(switchboard().open, 0, 'joined: out of the pool');

    // The SB pool flooded to both of its bounds too.
    const silentSb = [
      ...(await flood(ticket.port, '127.0.0.2', PER_ADDRESS + 2, switchboard)),
      ...(await flood(ticket.port, '127.0.0.3', PER_ADDRESS, switchboard)),
      ...(await flood(ticket.port, '127.0.0.1', SB_TOTAL - 2 * PER_ADDRESS, switchboard)),
    ];
    assert.deepEqual({ ...switchboard(), open: switchboard().open }, { open: SB_TOTAL, shedPerAddress: 2, shedTotal: 0 });
    await closedByServer(silentSb.slice(0, 2));

    aliceSb.send('CAL', 2, BOB);
    const ringing = await aliceSb.next(undefined, 10_000);
    assert.match(ringing.line, /^CAL 2 RINGING \d+$/);
    const bobSb = await SwitchboardSession.answer(bob, await nextInvitation(bob, 10_000), { timeoutMs: 10_000 });
    opened.push(bobSb);
    assert.equal((await aliceSb.next(undefined, 10_000)).line, `JOI ${BOB} Bob`);
    assert.equal(switchboard().shedTotal, 1, "the joining connection took the oldest silent one's place");

    aliceSb.sendPayload('MSG', [3, 'A'], 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nstill here');
    assert.equal((await bobSb.nextMessage(10_000)).body, 'still here');
    assert.equal((await aliceSb.next(undefined, 10_000)).line, 'ACK 3');
    await bobSb.send('and me');
    assert.match((await aliceSb.next('MSG', 10_000)).line, new RegExp(`^MSG ${BOB} Bob \\d+$`));

    // a second switchboard while the SB pool is full again
    await flood(ticket.port, '127.0.0.1', 1, switchboard);
    assert.equal(switchboard().open, SB_TOTAL);
    const another = await SwitchboardSession.open(alice, { timeoutMs: 10_000 });
    opened.push(another);
    assert.equal(switchboard().shedTotal, 2);
    assert.ok(warnings('switchboard').length >= 1, 'the SB pool warns under its own name');
    await alice.ping();
  });
});

describe('a connection the server ended', () => {
  test('is destroyed some 5 s later when its peer never closes its side', async () => {
    const socket = connect({ host: '127.0.0.1', port: s.dsPort, allowHalfOpen: true });
    opened.push({ close: () => socket.destroy() });
    await once(socket, 'connect');
    socket.write(`VER 1 MSNP5\r\nINF 2\r\nUSR 3 MD5 I ${ALICE}\r\n`);
    socket.resume();
    // The XFR and the server's end of the stream: the server's socket waits for this side's end.
    await once(socket, 'end');
    assert.equal(login().open, 1);
    await until(() => login().open === 0, 'the server to destroy the socket', 10_000);
  });
});
