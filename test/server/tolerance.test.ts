/**
 * What real clients of the period send that the reference does not spell out (issue 5, "tolerance"):
 * a trailing space after the last parameter, TrIDs that start at 0, `CVRO` for CVR0 in VER, CHG
 * before SYN, and switchboard connections left without OUT. (MSNP7-style group ids from an MSNP5
 * client are in groups.test.ts.)
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import { ALL_DIALECTS } from '../../src/protocol/dialects.ts';
import { md5Response } from '../../src/protocol/md5.ts';
import { ask } from '../helpers/ask.ts';
import { useMsnd } from '../helpers/msnd.ts';
import { askLines, freshUsers, PASSWORD, signIn, synDump } from '../helpers/stored-lists.ts';

// switchboardIdleMs well above what setting up a three-party chat takes on a loaded machine (the
// wait for the idle participant's close below is a bound, not a delay).
const s = useMsnd({ dialects: [...ALL_DIALECTS], limits: { switchboardIdleMs: 1500, challengeFirstMs: 600_000 } });
const opened: { close(): void }[] = [];

afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

async function connect(role: 'ns' | 'ds'): Promise<MsnpConnection> {
  const conn = await s.connect(role);
  opened.push(conn);
  return conn;
}

/** Sends raw text and returns the next line. */
async function rawAsk(conn: MsnpConnection, text: string): Promise<string> {
  conn.sendRaw(text);
  return (await conn.next()).line;
}

describe('tolerance (issue 5)', () => {
  test('a trailing space after the last parameter, also on an MSNP7 ADD, where it is not a group id', async () => {
    const u = await freshUsers(s, { me: 'Me', friend: 'Friend' });
    const ns = await connect('ns');
    assert.equal(await rawAsk(ns, 'VER 1 MSNP7 MSNP6 CVR0 \r\n'), 'VER 1 MSNP7 MSNP6 CVR0');
    assert.equal(await rawAsk(ns, 'INF 2 \r\n'), 'INF 2 MD5');
    const challenge = (await rawAsk(ns, `USR 3 MD5 I ${u.me} \r\n`)).split(' ')[4]!;
    assert.match(await rawAsk(ns, `USR 4 MD5 S ${md5Response(challenge, PASSWORD)} \r\n`), /^USR 4 OK /);
    await ns.next('MSG');
    ns.sendRaw('SYN 5 0 \r\n');
    await ns.next((r) => r.name === 'LST' && r.args[1] === 'RL');
    ns.drain();
    assert.equal(await rawAsk(ns, `ADD 6 FL ${u.friend} Friend \r\n`), `ADD 6 FL 2 ${u.friend} Friend`);
  });

  test('TrIDs that start at 0: login, SYN and CHG with TrID 0 are answered with TrID 0', async () => {
    const u = await freshUsers(s, { me: 'Me' });
    const ds = await connect('ds');
    assert.equal(await ask(ds, 'VER', 0, 'MSNP5', 'CVR0'), 'VER 0 MSNP5 CVR0');
    assert.equal(await ask(ds, 'INF', 1), 'INF 1 MD5');
    assert.equal(await ask(ds, 'USR', 2, 'MD5', 'I', u.me), `XFR 2 NS 127.0.0.1:${s.nsPort} 0`);
    const ns = await connect('ns');
    assert.equal(await ask(ns, 'VER', 0, 'MSNP5', 'CVR0'), 'VER 0 MSNP5 CVR0');
    const challenge = (await ask(ns, 'USR', 0, 'MD5', 'I', u.me)).split(' ')[4]!;
    assert.equal(await ask(ns, 'USR', 0, 'MD5', 'S', md5Response(challenge, PASSWORD)), `USR 0 OK ${u.me} Me`);
    await ns.next('MSG');
    assert.equal((await synDump(ns, 0))[0], 'SYN 0 1');
    assert.equal(await ask(ns, 'CHG', 0, 'NLN'), 'CHG 0 NLN');
  });

  test('CVRO in VER is taken as CVR0: echoed as sent, and alone it is CVR0 mode with CVQ', async () => {
    const u = await freshUsers(s, { me: 'Me' });
    const ds = await connect('ds');
    assert.equal(await ask(ds, 'VER', 1, 'MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'CVRO'), 'VER 1 MSNP7 MSNP6 MSNP5 MSNP4 CVRO');
    assert.equal(await ask(ds, 'INF', 2), 'INF 2 MD5');
    assert.equal(await ask(ds, 'USR', 3, 'MD5', 'I', u.me), `XFR 3 NS 127.0.0.1:${s.nsPort} 0 127.0.0.1:${s.dsPort}`);

    const old = await connect('ds');
    assert.equal(await ask(old, 'VER', 1, 'MSNP99', 'CVRO'), 'VER 1 CVRO');
    const cvq = await ask(old, 'CVQ', 2, '0x0409', 'win', '4.10', 'i386', 'MSMSGS', '1.0.0863', 'MSMSGS');
    assert.match(cvq, /^CVQ 2 1\.0\.0863 1\.0\.0863 1\.0\.0863 \S+ \S+$/);
    await old.waitClosed(3000);
  });

  test('CHG before SYN: presence works, and the SYN that follows is the usual full dump', async () => {
    const u = await freshUsers(s, { me: 'Me', peer: 'Peer' });
    const peer = await signIn(s, u.peer, { sync: true, present: true });
    await peer.add('FL', u.me, 'Me');
    const me = await signIn(s, u.me, { dialects: ['MSNP7'] });
    await me.add('FL', u.peer, 'Peer');
    const lines = await askLines(me.conn, 'CHG', 30, ['NLN'], (r) => r.name === 'ILN');
    assert.deepEqual(lines, ['CHG 30 NLN', `ILN 30 NLN ${u.peer} Peer`]);
    assert.equal((await peer.conn.next('NLN')).line, `NLN NLN ${u.me} Me`);
    const dump = await synDump(me.conn, 31);
    assert.equal(dump[0], 'SYN 31 3');
    assert.ok(dump.includes(`LST 31 FL 3 1 1 ${u.peer} Peer 0`), dump.join('\n'));
  });

  test('switchboard connections left without OUT: a dropped socket is a BYE, a silent one goes idle', async () => {
    const u = await freshUsers(s, { a: 'A', b: 'B', c: 'C' });
    const [a, b, c] = await Promise.all([u.a, u.b, u.c].map((h) => signIn(s, h, { sync: true, present: true })));
    const sb = await SwitchboardSession.open(a!);
    opened.push(sb.conn);
    for (const [client, handle] of [
      [b!, u.b],
      [c!, u.c],
    ] as const) {
      const ringing = nextInvitation(client);
      await sb.invite(handle);
      opened.push((await SwitchboardSession.answer(client, await ringing)).conn);
      await sb.conn.next('JOI');
    }
    const [bSb, cSb] = opened.slice(-2) as MsnpConnection[];
    bSb!.close();
    assert.equal((await sb.conn.next('BYE')).line, `BYE ${u.b}`);
    // C neither talks nor leaves; A keeps talking, so only C goes idle (switchboardIdleMs).
    const cGone = cSb!.waitClosed(15_000);
    const talking = setInterval(() => void sb.send('still here', { mode: 'U' }), 60);
    try {
      await cGone;
    } finally {
      clearInterval(talking);
    }
    assert.equal((await sb.conn.next('BYE')).line, `BYE ${u.c} 1`);
  });
});
