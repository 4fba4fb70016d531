/**
 * The web Messenger's transport from Node (the `ws` package): MSNP over WebSocket at
 * /messenger/ws/{ds,ns,sb} is served by the same DS, NS and SB code as TCP, so a sign-in through the
 * DS's referral, presence and a chat with a TCP client work, and every limit and close rule is the
 * same: a command before login, an over-long line, a line left unfinished, too many connections
 * before login from one address, and an oversized WebSocket message all close the connection as
 * TCP does (or, for the last, as the WebSocket's own bound does).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import { messengerConnector, messengerSocketUrl } from '../helpers/messenger.ts';
import { PASSWORD, track, type TestMsnd, useMsnd } from '../helpers/msnd.ts';

const CLOSE_WAIT_MS = 10_000;
const PARTIAL_INPUT_MS = 300;
const MAX_LINE_BYTES = 2048;
const PER_ADDRESS = 3;

/** A raw MSNP connection to `role`, over TCP or over the web Messenger's WebSocket. */
async function open(s: TestMsnd, transport: 'tcp' | 'ws', role: 'ds' | 'ns'): Promise<MsnpConnection> {
  await s.ready();
  const port = role === 'ds' ? s.msnd.ports.ds : s.msnd.ports.ns;
  const opts = transport === 'ws' ? { connector: messengerConnector(s), timeoutMs: CLOSE_WAIT_MS } : { timeoutMs: CLOSE_WAIT_MS };
  return track(await MsnpConnection.connect('127.0.0.1', port, opts, role));
}

/** What a peer sees when the server ends the connection after `act`: the lines, then the close. */
async function outcome(conn: MsnpConnection, act: (conn: MsnpConnection) => void): Promise<{ lines: string[]; reason: string }> {
  act(conn);
  await conn.waitClosed(CLOSE_WAIT_MS);
  return { lines: conn.drain().map((r) => r.line), reason: conn.closeReason ?? '' };
}

/** The same act over TCP and over WebSocket must end the same way. */
async function sameOnBoth(
  s: TestMsnd,
  role: 'ds' | 'ns',
  act: (conn: MsnpConnection) => void,
): Promise<{ lines: string[]; reason: string }> {
  const overTcp = await outcome(await open(s, 'tcp', role), act);
  const overWs = await outcome(await open(s, 'ws', role), act);
  assert.deepEqual(overWs, overTcp);
  assert.equal(overWs.reason, 'closed by server');
  return overWs;
}

describe('MSNP over the web Messenger WebSocket', () => {
  const s = useMsnd({ limits: { partialInputMs: PARTIAL_INPUT_MS, maxLineBytes: MAX_LINE_BYTES } });

  test('sign in through the DS, see presence, chat both ways with a TCP client (XFR SB and RNG)', async () => {
    const u = await s.users({ web: 'Web User', tcp: 'Tcp User' });
    const web = track(
      await MsnClient.login({
        host: '127.0.0.1',
        port: s.msnd.ports.ds,
        handle: u.web,
        password: PASSWORD,
        connector: messengerConnector(s),
        dialects: ['MSNP7', 'MSNP5'],
      }),
    );
    assert.equal(web.dialect, 'MSNP7');
    await web.sync(0);
    await web.add('FL', u.tcp, u.tcp);
    await web.changeStatus('NLN');
    const tcp = track(await s.online(u.tcp));
    await tcp.add('FL', u.web, u.web);
    assert.match((await web.conn.next('NLN')).line, new RegExp(`^NLN NLN ${u.tcp} `));
    assert.match((await tcp.conn.next('ILN')).line, new RegExp(` NLN ${u.web} `));

    // The browser calls: XFR SB over its NS WebSocket, then the SB WebSocket; the TCP client answers RNG.
    const webSb = track(await SwitchboardSession.open(web));
    await webSb.invite(u.tcp);
    const tcpSb = track(await SwitchboardSession.answer(tcp, await nextInvitation(tcp)));
    await webSb.conn.next('JOI');
    await webSb.send('hello from the browser');
    assert.equal((await tcpSb.nextMessage()).body, 'hello from the browser');
    await tcpSb.send('hello from TCP');
    assert.equal((await webSb.nextMessage()).body, 'hello from TCP');

    // The TCP client calls; the browser answers RNG over the SB WebSocket.
    const tcpCall = track(await SwitchboardSession.open(tcp));
    await tcpCall.invite(u.web);
    const webAnswer = track(await SwitchboardSession.answer(web, await nextInvitation(web)));
    await tcpCall.conn.next('JOI');
    await webAnswer.send('answered');
    assert.equal((await tcpCall.nextMessage()).body, 'answered');
  });

  test('a command before login is refused as over TCP', async () => {
    const { lines } = await sameOnBoth(s, 'ns', (conn) => conn.send('SYN', 1, 0));
    assert.deepEqual(lines, []);
  });

  test('a VER after VER is answered 715 and closed as over TCP', async () => {
    const { lines } = await sameOnBoth(s, 'ds', (conn) => {
      conn.send('VER', 1, 'MSNP5');
      conn.send('VER', 2, 'MSNP5');
    });
    assert.deepEqual(lines, ['VER 1 MSNP5', '715 2']);
  });

  test('an over-long line closes as over TCP', async () => {
    await sameOnBoth(s, 'ns', (conn) => conn.sendRaw(`VER 1 ${'X'.repeat(MAX_LINE_BYTES)}\r\n`));
  });

  test('a line left unfinished closes after partialInputMs as over TCP', async () => {
    await sameOnBoth(s, 'ns', (conn) => conn.sendRaw('VER 1 MSN'));
  });

  test('a line that arrives in pieces (several WebSocket messages) is served', async () => {
    const conn = await open(s, 'ws', 'ns');
    conn.sendRaw('VER 1 MS');
    conn.sendRaw('NP5\r');
    conn.sendRaw('\nINF 2\r\n');
    assert.equal((await conn.next()).line, 'VER 1 MSNP5');
    assert.equal((await conn.next()).line, 'INF 2 MD5');
  });

  test('a WebSocket message beyond 64 KiB closes the socket (1009) before it is read', async () => {
    await s.ready();
    const socket = new WebSocket(messengerSocketUrl(s, 'ns'));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(Buffer.alloc(64 * 1024 + 1, 0x41));
    assert.equal(await closed, 1009);
  });

  test('an unknown role has no WebSocket', async () => {
    await s.ready();
    const socket = new WebSocket(`ws://127.0.0.1:${s.msnd.ports.http}/messenger/ws/xx`);
    socket.on('error', () => {});
    const status = await new Promise<number>((resolve) => socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    socket.terminate();
    assert.equal(status, 404);
  });
});

describe('connections before login over WebSocket count in the same pool as TCP', () => {
  const s = useMsnd({ limits: { unauthenticatedPerAddress: PER_ADDRESS } });

  test('a new connection beyond the per-address bound closes the oldest, whichever transport', async () => {
    const oldest = await open(s, 'tcp', 'ns');
    const others = [await open(s, 'ws', 'ns'), await open(s, 'ws', 'ds')];
    assert.equal(s.msnd.stats.login.open, PER_ADDRESS);
    const newest = await open(s, 'ws', 'ns');
    await oldest.waitClosed(CLOSE_WAIT_MS);
    assert.equal(oldest.closeReason, 'closed by server');
    assert.equal(s.msnd.stats.login.shedPerAddress, 1);
    // The second oldest is a WebSocket: the next newcomer (over TCP) sheds it.
    await open(s, 'tcp', 'ds');
    await others[0]!.waitClosed(CLOSE_WAIT_MS);
    assert.equal(s.msnd.stats.login.shedPerAddress, 2);
    assert.equal(newest.isClosed, false);
  });
});
