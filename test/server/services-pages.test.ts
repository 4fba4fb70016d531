// PAG (MSNP5.md 9.20; sessions.md session 11): delivery through an e-mail-to-SMS domain (a real SMTP
// listener), an HTTP webhook (a real node:http listener) and the outbox folder; 201/205/220; limits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { SmtpCatcher, WebhookCatcher } from '../helpers/mailbox.ts';
import { askPayload, emlFiles, eventually, outboxRows, startServicesMsnd, type ServicesMsnd } from '../helpers/services.ts';

const TEXT = '<TEXT xml:space="preserve">Call me when you land.</TEXT>';
const WITH_PHONE = `<PHONE pri="1"><LOC>MOBILE</LOC><NUM>15550100</NUM></PHONE>${TEXT}`;

/** The cast of sessions.md: Bob accepts pages, Carol has no mobile device, Dave blocks Alice. */
async function addCast(m: ServicesMsnd): Promise<void> {
  const { s } = m;
  await s.addUsers(
    { handle: 'alice@example.com', password: 'secret123', name: 'Alice A' },
    { handle: 'bob@example.com', password: 'bobpass', name: 'Bob B' },
    { handle: 'carol@example.com', password: 'carolpass', name: 'Carol C' },
    { handle: 'dave@example.com', password: 'davepass', name: 'Dave D' },
    { handle: 'erin@example.com', password: 'erinpass', name: 'Erin E' },
  );
  const mobile = { PHH: '1%20(555)%200142', PHM: '1%20(555)%200199', MOB: 'Y', MBE: 'Y' } as const;
  await phones(s, 'bob@example.com', mobile);
  await phones(s, 'dave@example.com', { ...mobile, PHM: '15550177' });
  await phones(s, 'erin@example.com', { PHM: '15550188', MOB: 'N', MBE: 'Y' });
  const alice = await s.store.findAccount('alice@example.com');
  const dave = await s.store.findAccount('dave@example.com');
  await s.store.transaction((tx) =>
    tx.saveContact(dave!.id, alice!.id, { name: 'Alice%20A', lists: { FL: false, AL: false, BL: true, RL: false }, groups: [] }),
  );
}

async function phones(s: ServicesMsnd['s'], handle: string, values: Record<string, string>): Promise<void> {
  const account = await s.store.findAccount(handle);
  await s.store.transaction((tx) => tx.updateAccount(account!.id, { phones: values }));
}

function page(conn: MsnpConnection, trid: number, to: string, payload: string | Buffer): void {
  conn.sendPayload('PAG', [trid, to], payload);
}

describe('PAG through an e-mail-to-SMS gateway', () => {
  let smtp: SmtpCatcher;
  let m: ServicesMsnd;
  let alice: MsnClient;

  before(async () => {
    smtp = await SmtpCatcher.start();
    m = await startServicesMsnd({ smtp: smtp.url, mailFrom: 'pages@example.com', pageGateway: 'email:sms.example.com' });
    await addCast(m);
    alice = await m.s.login('alice@example.com');
  });
  after(async () => {
    alice.close();
    await m.stop();
    await smtp.close();
  });

  test('session 11: a page is accepted without a reply; Carol cannot receive pages (220)', async () => {
    page(alice.conn, 96, 'bob@example.com', TEXT);
    assert.equal(alice.conn.pending, 0);
    const mail = await smtp.next();
    assert.equal(mail.from, 'pages@example.com');
    assert.deepEqual(mail.to, ['15550199@sms.example.com']);
    assert.equal(mail.parsed.subject, 'Page from Alice A');
    assert.equal(mail.parsed.text?.trim(), 'Call me when you land.');
    page(alice.conn, 97, 'carol@example.com', WITH_PHONE);
    assert.equal((await alice.conn.next()).line, '220 97');
    await alice.conn.expectNothing(undefined, 200);
  });

  test('a call-back number and XML character references reach the text', async () => {
    page(
      alice.conn,
      1,
      'BOB@example.com',
      '<PHONE pri="1"><LOC>HOME</LOC><NUM>15550100</NUM></PHONE><TEXT xml:space="preserve">Fish &#x26; chips&#x3B; 1&#x3C;2&#x3E;0 &#x5E;_&#x5E; &#233;t&#xE9;</TEXT>',
    );
    const mail = await smtp.next();
    assert.equal(mail.parsed.text?.trim(), 'Fish & chips; 1<2>0 ^_^ été\n\nCall back: 15550100');
    await alice.conn.expectNothing(undefined, 100);
  });

  test('205 for no such account, 220 for MOB N or a target that blocks the pager, 201 for bad input', async () => {
    const cases: [string, string | Buffer, string][] = [
      ['nobody@example.com', TEXT, '205'],
      ['erin@example.com', TEXT, '220'],
      ['dave@example.com', TEXT, '220'],
      ['not-a-handle', TEXT, '201'],
      ['bob@example.com', 'Call me when you land.', '201'],
      ['bob@example.com', '<TEXT>Call me</TEXT>', '201'],
      ['bob@example.com', '<TEXT xml:space="preserve"></TEXT>', '201'],
      ['bob@example.com', '<TEXT xml:space="preserve">a <b> c</TEXT>', '201'],
      ['bob@example.com', '<TEXT xml:space="preserve">fish & chips</TEXT>', '201'],
      ['bob@example.com', '<TEXT xml:space="preserve">bad &#xD800; ref</TEXT>', '201'],
      ['bob@example.com', '<TEXT xml:space="preserve">bell &#x7;</TEXT>', '201'],
      ['bob@example.com', `<PHONE pri="1"><LOC>CAR</LOC><NUM>1</NUM></PHONE>${TEXT}`, '201'],
      ['bob@example.com', `${TEXT}${TEXT}`, '201'],
      ['bob@example.com', Buffer.from([0x3c, 0xff, 0x3e]), '201'],
      ['bob@example.com', '', '201'],
    ];
    for (const [i, [to, payload, code]] of cases.entries()) {
      const reply = await askPayload(alice.conn, 'PAG', 10 + i, [to], payload);
      assert.equal(reply.line, `${code} ${10 + i}`, `${to} ${payload.toString()}`);
    }
    assert.equal(smtp.waiting, 0);
  });

  test('PAG exists from MSNP5: an MSNP4 session that sends it is closed', async () => {
    const old = await m.s.login('alice@example.com', { dialects: ['MSNP4'] });
    page(old.conn, 1, 'bob@example.com', TEXT);
    await old.conn.waitClosed(3000);
    assert.deepEqual(
      old.conn.drain().map((r) => r.line),
      [],
    );
  });

  test('a payload of 1024 bytes is accepted; 1025 closes the connection unread', async () => {
    const text = (n: number) => `<TEXT xml:space="preserve">${'x'.repeat(n - TEXT.length + 'Call me when you land.'.length)}</TEXT>`;
    const conn = (await m.s.login('alice@example.com')).conn;
    page(conn, 2, 'bob@example.com', text(1024));
    assert.equal(Buffer.byteLength(text(1024)), 1024);
    assert.ok((await smtp.next()).parsed.text?.startsWith('xxxx'));
    page(conn, 3, 'bob@example.com', text(1025));
    await conn.waitClosed(3000);
    assert.deepEqual(
      conn.drain().map((r) => r.line),
      [],
    );
  });
});

describe('PAG through an HTTP webhook', () => {
  let hook: WebhookCatcher;
  let m: ServicesMsnd;
  let alice: MsnClient;

  before(async () => {
    hook = await WebhookCatcher.start();
    m = await startServicesMsnd({ pageGateway: hook.url });
    await addCast(m);
    alice = await m.s.login('alice@example.com');
  });
  after(async () => {
    alice.close();
    await m.stop();
    await hook.close();
  });

  test('POSTs { to, from, text, callback } as JSON', async () => {
    page(alice.conn, 96, 'bob@example.com', WITH_PHONE);
    const call = await hook.next();
    assert.equal(call.method, 'POST');
    assert.equal(call.path, '/pages');
    assert.equal(call.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(call.body), {
      to: '15550199',
      from: 'alice@example.com',
      text: 'Call me when you land.',
      callback: '15550100',
    });
    page(alice.conn, 97, 'bob@example.com', TEXT);
    assert.deepEqual(JSON.parse((await hook.next()).body), { to: '15550199', from: 'alice@example.com', text: 'Call me when you land.' });
    await alice.conn.expectNothing(undefined, 100);
  });

  test('a non-2xx answer is a failure: the page is retried until the webhook takes it', async () => {
    hook.statuses.push(500, 503);
    page(alice.conn, 98, 'bob@example.com', '<TEXT xml:space="preserve">retry me</TEXT>');
    const tries = [await hook.next(), await hook.next(), await hook.next()];
    assert.deepEqual(
      tries.map((t) => JSON.parse(t.body).text),
      ['retry me', 'retry me', 'retry me'],
    );
    await eventually(async () => (await outboxRows(m.s)).at(-1)?.sentAt !== null, 'marked sent');
    const row = (await outboxRows(m.s)).at(-1)!;
    assert.deepEqual([row.kind, row.recipient, row.attempts, row.lastError], ['page', '15550199', 3, 'page webhook answered HTTP 503']);
  });
});

describe('PAG without a gateway: .eml files in the outbox folder', () => {
  let m: ServicesMsnd;
  let alice: MsnClient;

  before(async () => {
    m = await startServicesMsnd({ mailFrom: 'msnd@example.com' });
    await addCast(m);
    alice = await m.s.login('alice@example.com');
  });
  after(async () => {
    alice.close();
    await m.stop();
  });

  test('the page is written for the operator, addressed to the mobile number', async () => {
    page(alice.conn, 96, 'bob@example.com', WITH_PHONE);
    const [file] = await emlFiles(m.outboxDir, 1);
    const { mail } = file!;
    assert.equal(mail.to && 'text' in mail.to ? mail.to.text : '', '15550199@mobile.invalid');
    assert.equal(mail.from?.text, 'msnd@example.com');
    assert.equal(mail.subject, 'Page from Alice A');
    assert.equal(mail.text?.trim(), 'Call me when you land.\n\nCall back: 15550100');
    await alice.conn.expectNothing(undefined, 100);
  });
});
