/**
 * One session per dialect, MSNP2 to MSNP7, over TCP (MSNP5.md 4.2, 4.3; issue 5): sign in through
 * the DS, sync, change lists and presence, chat, each checked against the exact forms of the §4.3
 * switch list; then a command of the next dialect, which this one must not know. Afterwards,
 * clients of different dialects side by side and one after the other on the same account.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import type { Received } from '../../src/client/received.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import { ALL_DIALECTS, type Dialect } from '../../src/protocol/dialects.ts';
import { md5Response } from '../../src/protocol/md5.ts';
import { ask } from '../helpers/ask.ts';
import { track, useMsnd } from '../helpers/msnd.ts';
import { askLines, assertClosed, barrier, freshUsers, listLines, PASSWORD, signIn, synDump } from '../helpers/stored-lists.ts';

// Challenges have their own tests (challenges.test.ts); here they would only interleave.
const s = useMsnd({ dialects: [...ALL_DIALECTS], limits: { challengeFirstMs: 600_000 } });

const level = (d: Dialect) => Number(d.slice(4));

/** The NS and DS addresses the XFR lines must carry. */
const nsAddress = () => `127.0.0.1:${s.nsPort}`;
const dsAddress = () => `127.0.0.1:${s.dsPort}`;

/** DS then NS at the wire level; returns the NS connection, the XFR line, the USR OK line and the profile. */
async function wireLogin(handle: string, dialect: Dialect) {
  const ds = await s.connect('ds');
  track(ds);
  assert.equal(await ask(ds, 'VER', 1, dialect, 'CVR0'), `VER 1 ${dialect} CVR0`);
  assert.equal(await ask(ds, 'INF', 2), 'INF 2 MD5');
  const xfr = await ask(ds, 'USR', 3, 'MD5', 'I', handle);
  await ds.waitClosed(3000);

  const ns = await s.connect('ns');
  track(ns);
  assert.equal(await ask(ns, 'VER', 4, dialect, 'CVR0'), `VER 4 ${dialect} CVR0`);
  assert.equal(await ask(ns, 'INF', 5), 'INF 5 MD5');
  const challenge = (await ask(ns, 'USR', 6, 'MD5', 'I', handle)).split(' ')[4]!;
  const ok = await ask(ns, 'USR', 7, 'MD5', 'S', md5Response(challenge, PASSWORD));
  const profile = await ns.next('MSG');
  return { ns, xfr, ok, profile: profile.payload?.toString('utf8') ?? '' };
}

/** The first client command of a later dialect, which this dialect must treat as unknown (§3.7). */
const NEXT_DIALECT_COMMAND: Record<Dialect, [string, ...(string | number)[]] | undefined> = {
  MSNP2: ['IMS', 30, 'OFF'],
  MSNP3: ['PRP', 30, 'PHH', '1'],
  MSNP4: ['PRP', 30, 'PHH', '1'],
  MSNP5: ['CHL', 30],
  MSNP6: ['LSG', 30],
  MSNP7: undefined,
};

describe('a whole session in each dialect (MSNP5.md 4.3)', () => {
  for (const dialect of [...ALL_DIALECTS].reverse()) {
    test(`${dialect}: sign-in, SYN, ADD, CHG and presence, IMS, URL, PRP, a chat, and the next dialect's command`, async () => {
      const n = level(dialect);
      const u = await freshUsers(s, { me: 'Me M', peer: 'Peer P' });
      const peer = await signIn(s, u.peer, { sync: true, present: true });
      await peer.add('FL', u.me, 'Me%20M');
      await barrier(peer.conn);
      peer.conn.drain();

      // XFR NS form and USR OK form.
      const { ns, xfr, ok, profile } = await wireLogin(u.me, dialect);
      const xfrTail = n === 2 ? '' : n < 7 ? ' 0' : ` 0 ${dsAddress()}`;
      assert.equal(xfr, `XFR 3 NS ${nsAddress()}${xfrTail}`);
      assert.equal(ok, `USR 7 OK ${u.me} Me%20M${n >= 6 ? ' 1' : ''}`);

      // Profile message: LoginTime only in MSNP2, the full set later.
      if (n === 2) {
        assert.match(profile, /^MIME-Version: 1\.0\r\nContent-Type: text\/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: \d+\r\n\r\n$/);
      } else {
        assert.match(profile, /\r\nMemberIdLow: \d+\r\n[\s\S]*\r\nMSPAuth: \S+\r\n\r\n$/);
      }

      // SYN: PRP from MSNP5, LSG and FL group ids from MSNP7; RL last.
      const dump = await synDump(ns, 8);
      const expected = ['SYN 8 2', 'GTC 8 2 A', 'BLP 8 2 AL'];
      if (n >= 5) expected.push('PRP 8 2 PHH', 'PRP 8 2 PHW', 'PRP 8 2 PHM', 'PRP 8 2 MOB N', 'PRP 8 2 MBE N');
      if (n >= 7) expected.push('LSG 8 2 1 1 0 Other%20Contacts 0');
      expected.push('LST 8 FL 2 0 0', 'LST 8 AL 2 0 0', 'LST 8 BL 2 0 0', `LST 8 RL 2 1 1 ${u.peer} Peer%20P`);
      assert.deepEqual(dump, expected);

      // ADD FL: BPR lines from MSNP5 (the session is synced); no ILN yet (no CHG so far).
      const lastAddLine = (r: Received) => (n >= 5 ? r.name === 'BPR' && r.args[2] === 'MOB' : r.name === 'ADD');
      const addLines = await askLines(ns, 'ADD', 9, ['FL', u.peer, 'Peer%20P'], lastAddLine);
      const bpr = ['PHH', 'PHW', 'PHM', 'MOB N'].map((p) => `BPR 3 ${u.peer} ${p}`);
      assert.deepEqual(addLines, [`ADD 9 FL 3 ${u.peer} Peer%20P`, ...(n >= 5 ? bpr : [])]);
      assert.equal((await peer.conn.next('ADD')).line, `ADD 0 RL 3 ${u.me} Me%20M`);

      // Presence both ways.
      const iln = (r: Received) => r.name === 'ILN';
      assert.deepEqual(await askLines(ns, 'CHG', 10, ['NLN'], iln), ['CHG 10 NLN', `ILN 10 NLN ${u.peer} Peer%20P`]);
      assert.equal((await peer.conn.next('NLN')).line, `NLN NLN ${u.me} Me%20M`);
      assert.equal(await ask(ns, 'CHG', 11, 'BSY'), 'CHG 11 BSY');
      assert.equal((await peer.conn.next('NLN')).line, `NLN BSY ${u.me} Me%20M`);
      peer.conn.send('CHG', 99, 'AWY');
      assert.equal((await ns.next('NLN')).line, `NLN AWY ${u.peer} Peer%20P`);

      // IMS from MSNP3.
      if (n >= 3) {
        assert.equal(await ask(ns, 'IMS', 12, 'OFF'), 'IMS 12 0 OFF');
        assert.equal(await ask(ns, 'IMS', 13, 'ON'), 'IMS 13 0 ON');
      }

      // URL: two parameters and a relative path in MSNP2; absolute with a site id later.
      const url = (await ask(ns, 'URL', 14, 'PERSON')).split(' ');
      const web = `http://127.0.0.1:${s.msnd.ports.http}`;
      assert.deepEqual(
        url,
        n === 2 ? ['URL', '14', '/person', `${web}/md5auth?lc=1033`] : ['URL', '14', `${web}/person`, `${web}/md5auth?lc=1033`, '2'],
      );

      // PRP from MSNP5, and the watcher gets BPR.
      if (n >= 5) {
        assert.equal(await ask(ns, 'PRP', 15, 'PHH', '555'), 'PRP 15 4 PHH 555');
        assert.equal((await peer.conn.next('BPR')).line, `BPR 4 ${u.me} PHH 555`);
      }

      // A chat: XFR SB, CAL, RNG to the peer, JOI, a message each way.
      const xfrSb = (await ask(ns, 'XFR', 16, 'SB')).split(' ');
      assert.equal(xfrSb.slice(0, 4).join(' '), `XFR 16 SB 127.0.0.1:${s.msnd.ports.sb}`);
      const sb = await SwitchboardSession.create(u.me, { host: '127.0.0.1', port: s.msnd.ports.sb, cookie: xfrSb[5]! });
      track(sb.conn);
      const ringing = nextInvitation(peer);
      await sb.invite(u.peer);
      const joined = await SwitchboardSession.answer(peer, await ringing);
      track(joined.conn);
      assert.equal((await sb.conn.next('JOI')).line, `JOI ${u.peer} Peer%20P`);
      await sb.send(`hello in ${dialect}`);
      const heard = await joined.conn.next('MSG');
      assert.equal(heard.line.split(' ').slice(0, 3).join(' '), `MSG ${u.me} Me%20M`);
      assert.match(heard.payload!.toString('utf8'), new RegExp(`\r\n\r\nhello in ${dialect}$`));
      await joined.send('hello back');
      assert.match((await sb.conn.next('MSG')).payload!.toString('utf8'), /\r\n\r\nhello back$/);

      // The next dialect's first command is unknown here: closed without a reply.
      const later = NEXT_DIALECT_COMMAND[dialect];
      if (later) {
        ns.send(...later);
        await assertClosed(ns);
        assert.equal((await peer.conn.next('FLN')).line, `FLN ${u.me}`);
      } else {
        ns.send('OUT');
        assert.equal((await ns.next('OUT')).line, 'OUT');
      }
    });
  }
});

/** Every client command a dialect added, with plausible parameters (MSNP5.md 4.2, 4.3, D-3). */
const LATER_COMMANDS: [since: number, line: string][] = [
  [3, 'IMS 40 OFF'],
  [5, 'PRP 40 PHH 555'],
  [5, 'SDC 40 a@example.com 0x0409 MSMSGS MSMSGS X X Me 0'],
  [5, 'PAG 40 a@example.com 5\r\nhello'],
  [6, 'CHL 40'],
  [6, 'QRY 40 msmsgs@msnmsgr.com 32\r\n00000000000000000000000000000000'],
  [7, 'LSG 40'],
  [7, 'ADG 40 Pals 0'],
  [7, 'RMG 40 1'],
  [7, 'REG 40 0 Pals 0'],
];

describe('a command of a later dialect is an unknown command: the connection closes (MSNP5.md 3.7)', () => {
  for (const dialect of ALL_DIALECTS) {
    const unknown = LATER_COMMANDS.filter(([since]) => since > level(dialect));
    if (unknown.length === 0) continue;
    test(`${dialect}: ${unknown.map(([, line]) => line.split(' ')[0]).join(', ')}`, async () => {
      const u = await freshUsers(s, { me: 'Me' });
      for (const [, line] of unknown) {
        const client = await signIn(s, u.me, { dialects: [dialect] });
        client.conn.sendRaw(`${line}\r\n`);
        await assertClosed(client.conn);
      }
    });
  }
});

describe('clients of different dialects together (issue 5)', () => {
  test('an MSNP2 and an MSNP7 client add each other, see each other and chat', async () => {
    const u = await freshUsers(s, { old: 'Old O', new: 'New N' });
    const old = await signIn(s, u.old, { dialects: ['MSNP2'], sync: true, present: true });
    const young = await signIn(s, u.new, { dialects: ['MSNP7'], sync: true, present: true });
    assert.equal(old.dialect, 'MSNP2');
    assert.equal(young.dialect, 'MSNP7');
    await young.addGroup('Elders');
    assert.equal(await ask(young.conn, 'ADD', 70, 'FL', u.old, 'Old%20O', 1), `ADD 70 FL 3 ${u.old} Old%20O 1`);
    assert.equal((await old.conn.next('ADD')).line, `ADD 0 RL 2 ${u.new} New%20N`);
    assert.equal(await ask(old.conn, 'ADD', 71, 'FL', u.new, 'New%20N'), `ADD 71 FL 3 ${u.new} New%20N`);
    assert.equal((await young.conn.next('ILN')).line, `ILN 70 NLN ${u.old} Old%20O`);
    assert.equal((await young.conn.next('ADD')).line, `ADD 0 RL 4 ${u.old} Old%20O`);
    assert.equal((await old.conn.next('ILN')).line, `ILN 71 NLN ${u.new} New%20N`);
    await old.changeStatus('AWY');
    assert.equal((await young.conn.next('NLN')).line, `NLN AWY ${u.old} Old%20O`);
    await young.changeStatus('BRB');
    assert.equal((await old.conn.next('NLN')).line, `NLN BRB ${u.new} New%20N`);

    const sb = await SwitchboardSession.open(old);
    track(sb.conn);
    const ringing = nextInvitation(young);
    await sb.invite(u.new);
    const joined = await SwitchboardSession.answer(young, await ringing);
    track(joined.conn);
    await sb.conn.next('JOI');
    await joined.send('from 2003');
    assert.match((await sb.conn.next('MSG')).payload!.toString('utf8'), /from 2003$/);

    for (const client of [old, young]) {
      await barrier(client.conn);
      client.conn.drain();
    }
    assert.deepEqual(await listLines(old.conn, 72, 'FL'), [`LST 72 FL 3 1 1 ${u.new} New%20N`]);
    assert.deepEqual(await listLines(young.conn, 73, 'FL'), [`LST 73 FL 4 1 1 ${u.old} Old%20O 1`]);
  });

  test('one account signed in with each dialect in turn sees one set of lists and settings', async () => {
    const u = await freshUsers(s, { me: 'Me', a: 'A', b: 'B' });
    let version = 1;
    const changes: [Dialect, (c: MsnClient) => Promise<unknown>][] = [
      ['MSNP7', (c) => c.addGroup('Pals')],
      ['MSNP2', (c) => c.add('FL', u.a, 'A')],
      ['MSNP7', (c) => c.add('FL', u.a, 'A', '1')],
      ['MSNP5', (c) => c.setPhone('PHH', '555')],
      ['MSNP3', (c) => c.setBlp('BL')],
      ['MSNP6', (c) => c.add('AL', u.b, 'B')],
      ['MSNP4', (c) => c.rename(u.a, 'Ay')],
    ];
    for (const [dialect, change] of changes) {
      const client = await signIn(s, u.me, { dialects: [dialect] });
      await change(client);
      version += 1;
      const dump = await synDump(client.conn, 50);
      assert.equal(dump[0], `SYN 50 ${version}`, `${dialect} after its change`);
      client.close();
    }
    const seven = await signIn(s, u.me, { dialects: ['MSNP7'] });
    assert.deepEqual(
      (await synDump(seven.conn, 60)).filter((l) => !l.startsWith('BPR')),
      [
        'SYN 60 8',
        'GTC 60 8 A',
        'BLP 60 8 BL',
        'PRP 60 8 PHH 555',
        'PRP 60 8 PHW',
        'PRP 60 8 PHM',
        'PRP 60 8 MOB N',
        'PRP 60 8 MBE N',
        'LSG 60 8 1 2 0 Other%20Contacts 0',
        'LSG 60 8 2 2 1 Pals 0',
        `LST 60 FL 8 1 1 ${u.a} Ay 0,1`,
        `LST 60 AL 8 1 1 ${u.b} B`,
        'LST 60 BL 8 0 0',
        'LST 60 RL 8 0 0',
      ],
    );
    seven.close();
    const two = await signIn(s, u.me, { dialects: ['MSNP2'] });
    assert.deepEqual(await synDump(two.conn, 61), [
      'SYN 61 8',
      'GTC 61 8 A',
      'BLP 61 8 BL',
      `LST 61 FL 8 1 1 ${u.a} Ay`,
      `LST 61 AL 8 1 1 ${u.b} B`,
      'LST 61 BL 8 0 0',
      'LST 61 RL 8 0 0',
    ]);
    assert.equal(await ask(two.conn, 'SYN', 62, 8), 'SYN 62 8');
  });
});
