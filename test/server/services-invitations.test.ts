// FND (MSNP5.md 9.17), SDC (9.19) and SND (9.18); sessions.md session 11. Invitation e-mails are
// checked at a real SMTP listener on loopback, and as .eml files when no SMTP server is set.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import type { DirectoryEntry } from '../../src/core/store.ts';
import { ask } from '../helpers/ask.ts';
import { SmtpCatcher } from '../helpers/mailbox.ts';
import { askPayload, emlFiles, eventually, outboxRows, startServicesMsnd, type ServicesMsnd } from '../helpers/services.ts';

const NOTE = 'Come and try our Messenger server!';

function listed(firstName: string, lastName: string, city: string, state: string, country = 'US'): DirectoryEntry {
  return { listed: true, firstName, lastName, city, state, country };
}

/** Every line the connection receives from now on. */
function record(conn: MsnpConnection): string[] {
  const lines: string[] = [];
  conn.on('received', (r) => lines.push(r.line));
  return lines;
}

describe('FND, SDC and SND with SMTP', () => {
  let smtp: SmtpCatcher;
  let m: ServicesMsnd;
  const clients: MsnClient[] = [];

  before(async () => {
    smtp = await SmtpCatcher.start();
    m = await startServicesMsnd({
      webUrl: 'http://www.example.com',
      smtp: smtp.url,
      mailFrom: 'msnd@example.com',
      dialects: ['MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'],
    });
    const { store } = m.s;
    await m.s.addUsers({ handle: 'alice@example.com', password: 'secret123', name: 'Alice A' });
    const directory: [string, DirectoryEntry][] = [
      ['carol@example.com', listed('Carol', 'Example', 'Springfield', 'IL')],
      ['carol2@example.com', listed('Carol', 'Example', 'Portland', 'OR')],
      ['hidden@example.com', { ...listed('Carol', 'Example', 'Paris', '', 'FR'), listed: false }],
      ['mary@example.com', listed('Mary Ann', 'Smith', 'New York', 'NY')],
      ['emile@example.com', listed('Émile', 'Zola', '*', '*', 'FR')],
    ];
    for (let i = 0; i < 26; i++) directory.push([`pat${i}@example.com`, listed('Pat', 'Many', 'Town', 'TX')]);
    for (let i = 0; i < 25; i++) directory.push([`sam${i}@example.com`, listed('Sam', 'Quite', 'Town', 'TX')]);
    for (const [handle, entry] of directory) {
      const account = await store.createAccount({ handle, friendlyName: handle, secret: 'x', verified: true });
      await store.setDirectoryEntry(account.id, entry);
    }
    const portland = await store.findAccount('carol2@example.com');
    await store.transaction((tx) => tx.updateAccount(portland!.id, { profile: { preferredEmail: 'carol.portland@mail.example' } }));
  });
  after(async () => {
    for (const c of clients) c.close();
    await m.stop();
    await smtp.close();
  });

  async function alice(dialect = 'MSNP5'): Promise<MsnpConnection> {
    const client = await m.s.login('alice@example.com', { dialects: [dialect] });
    clients.push(client);
    return client.conn;
  }

  test('session 11: FND, SDC by index and by address, bad index, no match, wildcard last name', async () => {
    const conn = await alice();
    const seen = record(conn);
    conn.send('FND', 90, 'fname=Carol', 'lname=Example', 'city=*', 'state=*', 'country=US');
    assert.equal((await conn.next('FND')).line, 'FND 90 1 2 fname=Carol lname=Example city=Springfield state=IL country=US');
    assert.equal((await conn.next('FND')).line, 'FND 90 2 2 fname=Carol lname=Example city=Portland state=OR country=US');
    assert.equal((await askPayload(conn, 'SDC', 91, ['1', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], NOTE)).line, 'SDC 91 OK');
    assert.equal(
      (await askPayload(conn, 'SDC', 92, ['zed@example.net', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], '')).line,
      'SDC 92 OK',
    );
    assert.equal((await askPayload(conn, 'SDC', 93, ['7', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], '')).line, '201 93');
    assert.equal(await ask(conn, 'FND', 94, 'fname=Nobody', 'lname=Here', 'city=*', 'state=*', 'country=US'), 'FND 94 0 0');
    assert.equal(await ask(conn, 'FND', 95, 'fname=Carol', 'lname=*', 'city=*', 'state=*', 'country=US'), '201 95');

    const byIndex = await smtp.next();
    assert.equal(byIndex.from, 'msnd@example.com');
    assert.deepEqual(byIndex.to, ['carol@example.com']);
    assert.equal(byIndex.parsed.subject, 'Alice A (alice@example.com) invites you to MSN Messenger');
    assert.equal(byIndex.parsed.from?.text, 'msnd@example.com');
    assert.equal(byIndex.parsed.replyTo?.text, 'alice@example.com');
    const text = byIndex.parsed.text ?? '';
    assert.match(text, /^Alice A \(alice@example\.com\) would like to chat with you on MSN Messenger\./);
    assert.ok(text.includes(`Alice A wrote:\n\n  ${NOTE}\n`), text);
    assert.ok(text.includes('http://www.example.com/signup'), text);
    assert.ok(text.includes('add alice@example.com to your contact list'), text);

    const byAddress = await smtp.next();
    assert.deepEqual(byAddress.to, ['zed@example.net']);
    assert.ok(!(byAddress.parsed.text ?? '').includes('wrote:'), 'an empty note adds no quote');
    assert.ok(!seen.some((line) => line.includes('carol')), "the directory member's address never reaches the inviter");
    await eventually(async () => (await outboxRows(m.s)).every((row) => row.sentAt !== null), 'both rows marked sent');
  });

  test('FND: wildcards, case-insensitive matching on decoded values, %-encoded results, never a handle', async () => {
    const conn = await alice();
    assert.equal(
      await ask(conn, 'FND', 1, 'fname=carol', 'lname=EXAMPLE', 'city=springfield', 'state=*', 'country=*'),
      'FND 1 1 1 fname=Carol lname=Example city=Springfield state=IL country=US',
    );
    assert.equal(
      await ask(conn, 'FND', 2, 'fname=Carol', 'lname=Example', 'city=*', 'state=or', 'country=us'),
      'FND 2 1 1 fname=Carol lname=Example city=Portland state=OR country=US',
    );
    assert.equal(await ask(conn, 'FND', 3, 'fname=Carol', 'lname=Example', 'city=*', 'state=*', 'country=FR'), 'FND 3 0 0', 'unlisted');
    assert.equal(
      await ask(conn, 'FND', 4, 'fname=mary%20ann', 'lname=smith', 'city=New%20York', 'state=*', 'country=*'),
      'FND 4 1 1 fname=Mary%20Ann lname=Smith city=New%20York state=NY country=US',
    );
    assert.equal(
      await ask(conn, 'FND', 5, 'fname=%c3%a9MILE', 'lname=zola', 'city=*', 'state=*', 'country=fr'),
      'FND 5 1 1 fname=%C3%89mile lname=Zola city=* state=* country=FR',
    );
  });

  test('FND: 25 matches are all listed at once; 26 give 301', async () => {
    const conn = await alice();
    const lines = await conn.requestAll(
      'FND',
      ['fname=Sam', 'lname=Quite', 'city=*', 'state=*', 'country=*'],
      (r) => r.args[1] === r.args[2],
    );
    assert.equal(lines.length, 25);
    lines.forEach((r, i) => assert.equal(r.line, `FND ${r.args[0]} ${i + 1} 25 fname=Sam lname=Quite city=Town state=TX country=US`));
    assert.equal(await ask(conn, 'FND', 60, 'fname=Pat', 'lname=Many', 'city=*', 'state=*', 'country=*'), '301 60');
    assert.equal(await ask(conn, 'FND', 61, 'fname=Pat', 'lname=Many', 'city=Elsewhere', 'state=*', 'country=*'), 'FND 61 0 0');
  });

  test('FND: a bad query gets 201 and the session goes on; a wrong field count closes', async () => {
    const conn = await alice();
    const bad = [
      ['fname=', 'lname=Example', 'city=*', 'state=*', 'country=*'],
      ['fname=*', 'lname=Example', 'city=*', 'state=*', 'country=*'],
      ['lname=Example', 'fname=Carol', 'city=*', 'state=*', 'country=*'],
      ['fname=Carol', 'lname=Example', 'town=*', 'state=*', 'country=*'],
      ['fname=%FF', 'lname=Example', 'city=*', 'state=*', 'country=*'],
      ['fname=%0A', 'lname=Example', 'city=*', 'state=*', 'country=*'],
      ['Carol', 'Example', '*', '*', '*'],
    ];
    for (const [i, fields] of bad.entries()) assert.equal(await ask(conn, 'FND', 70 + i, ...fields), `201 ${70 + i}`);
    assert.equal((await ask(conn, 'FND', 79, 'fname=Carol', 'lname=Example', 'city=*', 'state=IL', 'country=*')).split(' ')[2], '1');
    conn.send('FND', 80, 'fname=Carol', 'lname=Example', 'city=*', 'state=*');
    await conn.waitClosed(3000);
    assert.deepEqual(
      conn.drain().map((r) => r.line),
      [],
    );
  });

  test('SDC by index uses the last FND result of this session only, and hides the address', async () => {
    const first = await alice();
    assert.equal(
      (await askPayload(first, 'SDC', 1, ['1', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], '')).line,
      '201 1',
      'no FND yet',
    );
    await first.requestAll('FND', ['fname=Carol', 'lname=Example', 'city=*', 'state=*', 'country=*'], (r) => r.args[1] === r.args[2]);
    assert.equal((await askPayload(first, 'SDC', 2, ['0', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], '')).line, '201 2');
    assert.equal((await askPayload(first, 'SDC', 3, ['3', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], '')).line, '201 3');
    assert.equal(
      (await askPayload(first, 'SDC', 4, ['2', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], 'Hi Carol')).line,
      'SDC 4 OK',
    );
    const mail = await smtp.next();
    assert.deepEqual(mail.to, ['carol.portland@mail.example'], 'the preferred address of the entry');
    assert.ok(mail.parsed.text?.includes('  Hi Carol'));

    const second = await alice();
    assert.equal(
      (await askPayload(second, 'SDC', 5, ['1', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], '')).line,
      '201 5',
      'another session',
    );
    assert.equal(await ask(second, 'FND', 6, 'fname=No', 'lname=One', 'city=*', 'state=*', 'country=*'), 'FND 6 0 0');
    assert.equal((await askPayload(second, 'SDC', 7, ['1', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], '')).line, '201 7');
  });

  test('SDC: the name and the note are decoded; UTF-8 arrives intact', async () => {
    const conn = await alice();
    const note = 'Viens essayer ! Ça marche.\r\nÀ bientôt';
    assert.equal(
      (await askPayload(conn, 'SDC', 8, ['zoe@example.org', '0x040c', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Z%C3%A9lie%20%26%20co'], note)).line,
      'SDC 8 OK',
    );
    const mail = await smtp.next();
    assert.equal(mail.parsed.subject, 'Zélie & co (alice@example.com) invites you to MSN Messenger');
    assert.ok(mail.parsed.text?.includes('Zélie & co wrote:\n\n  Viens essayer ! Ça marche.\n  À bientôt\n'), mail.parsed.text);
  });

  test('SDC: an address that is not one gets 201 and nothing is sent', async () => {
    const conn = await alice();
    assert.equal(
      (await askPayload(conn, 'SDC', 9, ['not-an-address', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], '')).line,
      '201 9',
    );
    assert.equal((await askPayload(conn, 'SDC', 10, ['a@b', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], '')).line, '201 10');
    await conn.expectNothing(undefined, 300);
    assert.equal(smtp.waiting, 0);
  });

  test('malformed SDC: 503, then the server closes', async () => {
    const cases = [
      'SDC 11 1 0x0409 MSMSGS X X Alice%20A 0\r\n',
      'SDC 12 1 0x0409 MSMSGS MSMSGS Y X Alice%20A 0\r\n',
      'SDC 13 1 0x0409 MSMSGS MSMSGS X X 0\r\n',
      'SDC 14 1 en-US MSMSGS MSMSGS X X Alice%20A 0\r\n',
      'SDC 15 1 0x0409 MSMSGS MSMSGS X X Alice%20A abc\r\n',
      'SDC 16 1 0x0409 MSMSGS MSMSGS X X Alice%20A 1665\r\n',
      'SDC 17 1 0x0409 MSMSGS MSMSGS X X %FF%FE 0\r\n',
      'SDC 18 1 0x0409 MSMSGS MSMSGS X X Alice%20A 1 extra 0\r\n',
      Buffer.concat([Buffer.from('SDC 19 1 0x0409 MSMSGS MSMSGS X X Alice%20A 2\r\n'), Buffer.from([0xff, 0xfe])]),
    ];
    for (const raw of cases) {
      const conn = await alice();
      conn.sendRaw(raw);
      await conn.waitClosed(3000);
      const trid = raw.toString('latin1').split(' ')[1];
      assert.deepEqual(
        conn.drain().map((r) => r.line),
        [`503 ${trid}`],
        raw.toString('latin1'),
      );
    }
    assert.equal(smtp.waiting, 0);
  });

  test('SND in its MSNP2, MSNP3 and MSNP4 forms, by address and by index', async () => {
    const conn = await alice();
    assert.equal(await ask(conn, 'SND', 20, 'one@example.org'), 'SND 20 OK');
    assert.equal(await ask(conn, 'SND', 21, 'two@example.org', '0x0409', 'MSMSGS'), 'SND 21 OK');
    assert.equal(await ask(conn, 'SND', 22, 'three@example.org', '0x0409', 'MSMSGS', 'MSMSGS'), 'SND 22 OK');
    await conn.requestAll(
      'FND',
      ['fname=Carol', 'lname=Example', 'city=Springfield', 'state=*', 'country=*'],
      (r) => r.args[1] === r.args[2],
    );
    assert.equal(await ask(conn, 'SND', 23, '1', '0x0409', 'MSMSGS', 'MSMSGS'), 'SND 23 OK');
    assert.equal(await ask(conn, 'SND', 24, '2', '0x0409', 'MSMSGS', 'MSMSGS'), '201 24');
    const to = [];
    for (let i = 0; i < 4; i++) {
      const mail = await smtp.next();
      to.push(...mail.to);
      assert.equal(mail.parsed.subject, 'Alice A (alice@example.com) invites you to MSN Messenger', 'the account name');
      assert.ok(!(mail.parsed.text ?? '').includes('wrote:'), 'SND has no note');
    }
    assert.deepEqual(to, ['one@example.org', 'two@example.org', 'three@example.org', 'carol@example.com']);
  });

  test('SND under MSNP2 and MSNP4; SDC does not exist there (unknown command: close)', async () => {
    for (const dialect of ['MSNP2', 'MSNP4']) {
      const conn = await alice(dialect);
      assert.equal(await ask(conn, 'SND', 30, 'old@example.org'), 'SND 30 OK');
      assert.deepEqual((await smtp.next()).to, ['old@example.org']);
      conn.sendPayload('SDC', [31, 'x@example.org', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'A'], '');
      await conn.waitClosed(3000);
      assert.deepEqual(
        conn.drain().map((r) => r.line),
        [],
      );
    }
  });

  test('malformed SND: 503, then the server closes', async () => {
    for (const raw of [
      'SND 40 a@example.org 0x0409\r\n',
      'SND 41 a@example.org nolcid MSMSGS\r\n',
      'SND 42 a@example.org 0x0409 A B C\r\n',
    ]) {
      const conn = await alice();
      conn.sendRaw(raw);
      await conn.waitClosed(3000);
      assert.deepEqual(
        conn.drain().map((r) => r.line),
        [`503 ${raw.split(' ')[1]}`],
      );
    }
  });
});

describe('SDC without SMTP settings: .eml files in the outbox folder', () => {
  let m: ServicesMsnd;
  let client: MsnClient;

  before(async () => {
    m = await startServicesMsnd({ webUrl: 'http://www.example.com', mailFrom: 'Messenger <msnd@example.com>' });
    await m.s.addUsers({ handle: 'alice@example.com', password: 'secret123', name: 'Alice A' });
    client = await m.s.login('alice@example.com');
  });
  after(async () => {
    client.close();
    await m.stop();
  });

  test('the invitation is written as an RFC 5322 file and its row marked sent', async () => {
    const reply = await askPayload(client.conn, 'SDC', 91, ['zed@example.net', '0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'], NOTE);
    assert.equal(reply.line, 'SDC 91 OK');
    const [file] = await emlFiles(m.outboxDir, 1);
    assert.match(file!.name, /^\d{4}-\d\d-\d\dT[\d-]+Z-[0-9a-f]{8}\.eml$/);
    const { mail, raw } = file!;
    assert.equal(mail.to && 'text' in mail.to ? mail.to.text : '', 'zed@example.net');
    assert.equal(mail.from?.text, '"Messenger" <msnd@example.com>');
    assert.equal(mail.subject, 'Alice A (alice@example.com) invites you to MSN Messenger');
    assert.ok(mail.text?.includes(`  ${NOTE}`));
    assert.ok(mail.date instanceof Date && mail.messageId, 'Date and Message-ID headers');
    assert.doesNotMatch(raw.toString('latin1'), /[^\r]\n/, 'every line ends with CR LF');
    await eventually(async () => (await outboxRows(m.s))[0]?.sentAt !== null, 'row marked sent');
    const [row] = await outboxRows(m.s);
    assert.deepEqual(
      [row?.kind, row?.recipient, row?.sender, row?.attempts, row?.lastError],
      ['email', 'zed@example.net', 'alice@example.com', 1, ''],
    );
  });
});
