/**
 * Framing, malformed input and limits over TCP (MSNP5.md 3.1, 3.2, 3.6, 3.7, 4.3, 14, D-18;
 * sessions.md 16a, 16b): line length, the unauthenticated timer, empty lines, bare LF, extra spaces,
 * client MSG on the NS, bad payload lengths, wrong parameter counts, commands of another dialect,
 * and silence after a close.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MsnpConnection } from '../../src/client/connection.ts';
import { TestMsnd, useMsnd } from '../helpers/msnd.ts';
import {
  challengedNs,
  expectClose,
  expectLine,
  expectOpen,
  md5hex,
  MSNP5_CLIENT,
  negotiatedConn,
  newUser,
  signedInNs,
  type User,
} from '../helpers/login-wire.ts';

const MAX_LINE = 128;
const MESSAGE_BYTES = 100;

const s = useMsnd({ limits: { maxLineBytes: MAX_LINE, messageBytes: MESSAGE_BYTES } });

/** A `VER 1 MSNP5 XX…` line of exactly `bytes` bytes without its line end (the padding is no dialect). */
function verLine(bytes: number): string {
  const head = 'VER 1 MSNP5 ';
  return head + 'X'.repeat(bytes - head.length);
}

/** A signed-in MSNP5 (or other dialect) session of a fresh account. */
async function signedIn(dialects: readonly string[] = MSNP5_CLIENT): Promise<{ user: User; conn: MsnpConnection }> {
  const user = await newUser(s, 'lim');
  const { conn } = await signedInNs(s, user, dialects);
  return { user, conn };
}

describe('command line length (MSNP5.md 14: maxLineBytes)', () => {
  test(`a line of exactly maxLineBytes (${MAX_LINE}) is accepted`, async () => {
    const conn = await s.connect('ns');
    conn.sendRaw(`${verLine(MAX_LINE)}\r\n`);
    await expectLine(conn, 'VER 1 MSNP5');
    await expectOpen(conn);
    conn.close();
  });

  test('a line one byte longer closes the connection without a reply', async () => {
    const conn = await s.connect('ns');
    conn.sendRaw(`${verLine(MAX_LINE + 1)}\r\n`);
    await expectClose(conn);
  });

  test('a line one byte longer with a bare LF closes too', async () => {
    const conn = await s.connect('ns');
    conn.sendRaw(`${verLine(MAX_LINE + 1)}\n`);
    await expectClose(conn);
  });

  test('too many bytes without any LF close the connection (the server does not wait for the LF)', async () => {
    const conn = await s.connect('ns');
    conn.sendRaw(verLine(MAX_LINE + 10));
    await expectClose(conn);
  });

  test('maxLineBytes without an LF yet is kept; the LF that follows later completes the line', async () => {
    const conn = await s.connect('ns');
    conn.sendRaw(verLine(MAX_LINE));
    await conn.expectNothing(undefined, 100);
    conn.sendRaw('\r');
    await conn.expectNothing(undefined, 100);
    conn.sendRaw('\n');
    await expectLine(conn, 'VER 1 MSNP5');
    await expectOpen(conn);
    conn.close();
  });

  test('a long line arriving in small pieces is measured as a whole', async () => {
    const conn = await s.connect('ns');
    const line = verLine(MAX_LINE + 1);
    for (let i = 0; i < line.length; i += 20) conn.sendRaw(line.slice(i, i + 20));
    conn.sendRaw('\r\n');
    await expectClose(conn);
  });

  test('the DS applies the same limit', async () => {
    const ok = await s.connect('ds');
    ok.sendRaw(`${verLine(MAX_LINE)}\r\n`);
    await expectLine(ok, 'VER 1 MSNP5');
    ok.close();
    const tooLong = await s.connect('ds');
    tooLong.sendRaw(`${verLine(MAX_LINE + 1)}\r\n`);
    await expectClose(tooLong);
  });

  test('after login a too-long line closes the session, and it is a sign-out', async () => {
    const user = await newUser(s, 'limlong');
    const watcherUser = await newUser(s, 'limwatch');
    const watcher = await s.online(watcherUser.handle);
    await watcher.add('FL', user.handle, user.wireName);
    watcher.conn.drain(); // the BPR lines that follow ADD FL
    const { conn } = await signedInNs(s, user);
    conn.send('CHG', 5, 'NLN');
    await expectLine(conn, 'CHG 5 NLN');
    await expectLine(watcher.conn, `NLN NLN ${user.handle} ${user.wireName}`);
    conn.sendRaw(`REA 6 ${user.handle} ${'n'.repeat(MAX_LINE)}\r\n`);
    await expectClose(conn);
    await expectLine(watcher.conn, `FLN ${user.handle}`);
    watcher.close();
  });
});

describe('line syntax (MSNP5.md 3.1)', () => {
  test('empty lines and all-space lines are ignored, before VER and after it', async () => {
    const conn = await s.connect('ns');
    conn.sendRaw('\r\n\r\n   \r\nVER 1 MSNP5\r\n\r\n\nINF 2\r\n');
    await expectLine(conn, 'VER 1 MSNP5');
    await expectLine(conn, 'INF 2 MD5');
    await expectOpen(conn);
    conn.close();
  });

  test('an empty line after login is ignored', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('\r\n');
    await conn.expectNothing(undefined, 100);
    await expectOpen(conn);
    conn.close();
  });

  test('an empty line on the DS is ignored', async () => {
    const ds = await s.connect('ds');
    ds.sendRaw('\r\nVER 1 MSNP5\r\n');
    await expectLine(ds, 'VER 1 MSNP5');
    ds.close();
  });

  test('a bare LF ends a line, on the NS through a whole login', async () => {
    const user = await newUser(s, 'lf');
    const conn = await s.connect('ns');
    conn.sendRaw(`VER 1 MSNP5\nINF 2\nUSR 3 MD5 I ${user.handle}\n`);
    await expectLine(conn, 'VER 1 MSNP5');
    await expectLine(conn, 'INF 2 MD5');
    const challenge = (await expectLine(conn, /^USR 3 MD5 S \d+\.\d{9}$/)).args[3]!;
    conn.sendRaw(`USR 4 MD5 S ${md5hex(challenge, user.password)}\nPNG\n`);
    await expectLine(conn, `USR 4 OK ${user.handle} ${user.wireName}`);
    await expectLine(conn, /^MSG Hotmail Hotmail \d+$/);
    await expectLine(conn, 'QNG');
    conn.close();
  });

  test('a bare LF ends a line on the DS', async () => {
    const ds = await s.connect('ds');
    ds.sendRaw('VER 1 MSNP5\nINF 2\n');
    await expectLine(ds, 'VER 1 MSNP5');
    await expectLine(ds, 'INF 2 MD5');
    ds.close();
  });

  test('several spaces between parameters and trailing spaces are accepted; replies use single spaces', async () => {
    const conn = await s.connect('ns');
    conn.sendRaw('VER  1   MSNP5  MSNP4 \r\nINF 2   \r\n');
    await expectLine(conn, 'VER 1 MSNP5 MSNP4');
    await expectLine(conn, 'INF 2 MD5');
    conn.close();
  });

  test('extra spaces after login: CHG  5   NLN  is CHG 5 NLN; PNG with a trailing space is PNG', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('CHG  5   NLN  \r\nPNG \r\n');
    await expectLine(conn, 'CHG 5 NLN');
    await expectLine(conn, 'QNG');
    conn.close();
  });

  test('extra spaces on the DS: USR with double spaces is referred', async () => {
    const ds = await s.connect('ds');
    ds.sendRaw('VER 1 MSNP5 \r\nUSR  2  MD5  I  alice@example.com \r\n');
    await expectLine(ds, 'VER 1 MSNP5');
    await expectClose(ds, [`XFR 2 NS 127.0.0.1:${s.nsPort} 0`]);
  });

  test('several commands in one packet are answered in order', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('PNG\r\nCHG 5 BSY\r\nPNG\r\nCHG 6 NLN\r\n');
    await expectLine(conn, 'QNG');
    await expectLine(conn, 'CHG 5 BSY');
    await expectLine(conn, 'QNG');
    await expectLine(conn, 'CHG 6 NLN');
    conn.close();
  });
});

describe('payload commands (MSNP5.md 3.6)', () => {
  test('sessions.md 16b: client MSG on the NS closes at once, without waiting for the payload', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('MSG 48 U 5\r\n');
    await expectClose(conn);
  });

  test('the bytes after a client MSG on the NS are never read as commands', async () => {
    const { conn } = await signedIn();
    // "PNG\r\n" is exactly the 5 announced bytes; it must not be answered either way.
    conn.sendRaw('MSG 48 U 5\r\nPNG\r\nPNG\r\n');
    await expectClose(conn);
  });

  test('client MSG on the NS before login closes too', async () => {
    const conn = await negotiatedConn(s, 'ns');
    conn.sendRaw('MSG 2 U 5\r\n');
    await expectClose(conn);
  });

  for (const raw of ['PAG 5 someone@example.com abc', 'PAG 5 someone@example.com -1', 'PAG 5 someone@example.com 5x']) {
    test(`NS payload command with a non-numeric length closes without a reply: ${raw}`, async () => {
      const { conn } = await signedIn();
      conn.sendRaw(`${raw}\r\nPNG\r\n`);
      await expectClose(conn);
    });
  }

  test('PAG announcing more than its limit (1024 bytes, MSNP5.md 14) closes without reading the payload', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('PAG 5 someone@example.com 1025\r\nPNG\r\n');
    await expectClose(conn);
  });

  test('SDC with a non-numeric length: 503, then close (its own rule, MSNP5.md 9.19)', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('SDC 5 1 0x0409 MSMSGS MSMSGS X X me abc\r\nPNG\r\n');
    await expectClose(conn, ['503 5']);
  });

  describe('on the switchboard (MSNP5.md 3.6, 14: messageBytes)', () => {
    async function switchboard(): Promise<MsnpConnection> {
      const user = await newUser(s, 'limsb');
      const client = await s.online(user.handle);
      const ticket = await client.requestSwitchboard();
      const sb = await MsnpConnection.connect(ticket.host, ticket.port);
      sb.send('USR', 1, user.handle, ticket.cookie);
      await expectLine(sb, `USR 1 OK ${user.handle} ${user.wireName}`);
      return sb;
    }

    for (const length of ['abc', '-5', '5x', '99999999999']) {
      test(`MSG with payload length ${length} closes without reading a payload`, async () => {
        const sb = await switchboard();
        sb.sendRaw(`MSG 2 A ${length}\r\n`);
        await expectClose(sb);
      });
    }

    test(`a payload of messageBytes (${MESSAGE_BYTES}) is read; one byte more closes at once`, async () => {
      const sb = await switchboard();
      // Alone in the session: mode A is answered NAK (D-20), which shows the payload was taken whole.
      sb.sendPayload('MSG', [2, 'A'], 'x'.repeat(MESSAGE_BYTES));
      await expectLine(sb, 'NAK 2');
      sb.sendRaw(`MSG 3 A ${MESSAGE_BYTES + 1}\r\n`);
      await expectClose(sb);
    });
  });
});

describe('parameter counts (MSNP5.md 3.7; sessions.md 16b)', () => {
  for (const raw of [
    'CHG 45 NLN 0',
    'CHG 5',
    'PNG 1',
    'OUT x',
    'SYN 5',
    'SYN 5 0 0',
    'LST 5',
    'LST 5 FL x',
    'GTC 5',
    'GTC 5 A x',
    'BLP 5',
    'ADD 5 FL someone@example.com',
    // One extra parameter on FL is an MSNP7 group id, which an MSNP5 session ignores (groups.test.ts).
    'ADD 5 FL someone@example.com someone 0 1',
    'ADD 5 AL someone@example.com someone 0',
    'REM 5 FL',
    'REA 5 someone@example.com',
    'XFR 5',
    'XFR 5 SB x',
    'IMS 5',
    'PRP 5',
    'PRP 5 PHH 1 2',
    'USR 5 MD5 I someone@example.com extra',
    'CVR 5 0x0409 win',
  ]) {
    test(`after login "${raw}" closes without a reply`, async () => {
      const { conn } = await signedIn();
      conn.sendRaw(`${raw}\r\nPNG\r\n`);
      await expectClose(conn);
    });
  }

  test('PNG and OUT with a parameter close before login too', async () => {
    for (const raw of ['PNG 1', 'OUT x']) {
      const conn = await negotiatedConn(s, 'ns');
      conn.sendRaw(`${raw}\r\nPNG\r\n`);
      await expectClose(conn);
    }
  });
});

describe('commands of another dialect (MSNP5.md 3.7, 4.3, D-3)', () => {
  for (const raw of ['ADG 50 Friends 0', 'LSG 5', 'RMG 5 1', 'REG 5 1 Work 0', 'QRY 5 msmsgs@msnmsgr.com 32', 'CHL 5']) {
    test(`MSNP5: "${raw}" (a later dialect's command) closes without a reply`, async () => {
      const { conn } = await signedIn();
      conn.sendRaw(`${raw}\r\nPNG\r\n`);
      await expectClose(conn);
    });
  }

  test('MSNP5: PRP (an MSNP5 command) is served', async () => {
    const { conn } = await signedIn();
    conn.send('PRP', 5, 'PHH', '555-0100');
    await expectLine(conn, /^PRP 5 \d+ PHH 555-0100$/);
    conn.close();
  });

  for (const raw of ['PRP 5 PHH 555-0100', 'PAG 5 someone@example.com 5', 'SDC 5 1 0x0409 MSMSGS WindowsMessenger X X X 0']) {
    test(`MSNP4: "${raw}" (an MSNP5 command) closes without a reply`, async () => {
      const { conn } = await signedIn(['MSNP4']);
      conn.sendRaw(`${raw}\r\nPNG\r\n`);
      await expectClose(conn);
    });
  }

  test('MSNP2: IMS (since MSNP3) closes; MSNP3 answers it', async () => {
    const old = await signedIn(['MSNP2']);
    old.conn.sendRaw('IMS 5 OFF\r\nPNG\r\n');
    await expectClose(old.conn);
    const newer = await signedIn(['MSNP3']);
    newer.conn.send('IMS', 5, 'OFF');
    await expectLine(newer.conn, 'IMS 5 0 OFF');
    newer.conn.close();
  });

  for (const raw of [
    'ILN 5 NLN someone@example.com x',
    'NLN NLN someone@example.com x',
    'FLN someone@example.com',
    'BPR 1 someone@example.com PHH',
    'RNG 1 127.0.0.1:1 CKI 1 a b',
    'QNG',
    'NOT 0',
  ]) {
    test(`a server-to-client command from the client closes: ${raw.split(' ')[0]}`, async () => {
      const { conn } = await signedIn();
      conn.sendRaw(`${raw}\r\nPNG\r\n`);
      await expectClose(conn);
    });
  }

  test('sessions.md 16b: unknown command FOO after login closes without a reply', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('FOO 49\r\nPNG\r\n');
    await expectClose(conn);
  });

  test('error 200 is never sent: an unknown command before login closes too (D-18)', async () => {
    const conn = await negotiatedConn(s, 'ns');
    conn.sendRaw('FOO 2\r\n');
    await expectClose(conn);
  });
});

describe('after a close nothing more is answered (MSNP5.md 3.7)', () => {
  test('commands queued behind a bad one in the same packet are dropped', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('PNG\r\nFOO 5\r\nPNG\r\nCHG 6 NLN\r\nSYN 7 0\r\n');
    await expectClose(conn, ['QNG']);
  });

  test('OUT, then more commands: only OUT comes back', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('OUT\r\nPNG\r\nCHG 5 NLN\r\n');
    await expectClose(conn, ['OUT']);
  });

  test('second VER during login: 715, then nothing (sessions.md 16a)', async () => {
    const conn = await s.connect('ns');
    conn.sendRaw('VER 1 MSNP5 MSNP4 CVR0\r\nVER 2 MSNP5\r\nINF 3\r\nPNG\r\n');
    await expectClose(conn, ['VER 1 MSNP5 MSNP4 CVR0', '715 2']);
  });

  test('a too-long line ends everything after it, even well-formed commands', async () => {
    const { conn } = await signedIn();
    conn.sendRaw(`PNG\r\n${'X'.repeat(MAX_LINE + 1)}\r\nPNG\r\nPNG\r\n`);
    await expectClose(conn, ['QNG']);
  });

  test('sessions.md 16b: CHG 45 NLN 0 then GTC 46 Y in one packet: nothing answered', async () => {
    const { conn } = await signedIn();
    conn.sendRaw('CHG 45 NLN 0\r\nGTC 46 Y\r\nPNG\r\n');
    await expectClose(conn);
  });
});

describe('the unauthenticated timer (MSNP5.md 14: unauthenticatedMs)', () => {
  let timed: TestMsnd;

  // Well above what a login's round trips take on a loaded machine; the waits for the closes are
  // bounds (CLOSE_WITHIN_MS), not delays.
  const UNAUTHENTICATED_MS = 1500;
  const CLOSE_WITHIN_MS = 15_000;

  before(async () => {
    timed = await TestMsnd.start({ limits: { unauthenticatedMs: UNAUTHENTICATED_MS } });
  });

  after(async () => {
    await timed.stop();
  });

  test('an NS connection that sends nothing is closed', async () => {
    const conn = await timed.connect('ns');
    await expectClose(conn, [], CLOSE_WITHIN_MS);
  });

  test('a negotiated NS connection is closed', async () => {
    const conn = await negotiatedConn(timed, 'ns');
    conn.send('INF', 2);
    await expectLine(conn, 'INF 2 MD5');
    await expectClose(conn, [], CLOSE_WITHIN_MS);
  });

  test('a challenged NS connection is closed', async () => {
    const user = await newUser(timed, 'slow');
    const { conn } = await challengedNs(timed, user.handle);
    await expectClose(conn, [], CLOSE_WITHIN_MS);
  });

  test('PNG keeps nothing alive before login: the connection is closed all the same', async () => {
    const conn = await negotiatedConn(timed, 'ns');
    let pings = 0;
    const maxPings = CLOSE_WITHIN_MS / 50;
    while (!conn.isClosed && pings < maxPings) {
      conn.send('PNG');
      pings += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await conn.waitClosed(CLOSE_WITHIN_MS);
    const answers = conn.drain().map((r) => r.line);
    assert.ok(
      answers.every((line) => line === 'QNG'),
      `only QNG before the close: ${JSON.stringify(answers)}`,
    );
    assert.ok(pings < maxPings, 'closed while pinging');
  });

  test('a DS connection that sends nothing, and one that negotiated, are closed', async () => {
    const idle = await timed.connect('ds');
    const negotiated = await negotiatedConn(timed, 'ds');
    await expectClose(idle, [], CLOSE_WITHIN_MS);
    await expectClose(negotiated, [], CLOSE_WITHIN_MS);
  });

  test('an authenticated session stays past the limit', async () => {
    const user = await newUser(timed, 'fast');
    const { conn } = await signedInNs(timed, user);
    await new Promise((resolve) => setTimeout(resolve, UNAUTHENTICATED_MS * 2));
    await expectOpen(conn);
    conn.close();
  });
});
