// The initial e-mail notification (MSNP5.md 12.2, 4.3; sessions.md session 1): unread counts the
// operator's mail system reports with PUT /admin/mailboxes/<handle>, shown right after the profile
// of the next sign-in, in each dialect's form.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { payloadText } from '../../src/client/received.ts';
import { initialMailNotification } from '../../src/protocol/email-notification.ts';
import { TestMsnd, useMsnd } from '../helpers/msnd.ts';
import { webBase } from '../helpers/web.ts';

const TOKEN = 'admin-token-for-mailbox-counts-0123';
const AUTH = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const WEB = 'http://www.example.com';

async function put(server: TestMsnd, handle: string, body: unknown, headers: Record<string, string> = AUTH) {
  const response = await fetch(`${webBase(server)}/admin/mailboxes/${encodeURIComponent(handle)}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** The line after the profile: the notification, or (after a PNG barrier) QNG when there is none. */
async function lineAfterProfile(client: MsnClient): Promise<{ line: string; payload: string }> {
  client.conn.send('PNG');
  const next = await client.conn.next(undefined, 3000);
  return { line: next.line, payload: next.name === 'MSG' ? payloadText(next) : '' };
}

describe('unread mail at sign-in (initial e-mail notification)', () => {
  const server = useMsnd({ adminToken: TOKEN, webmailUrl: 'http://mail.example.test/', webUrl: WEB });
  const clients: MsnClient[] = [];

  before(async () => {
    for (const name of ['alice', 'bob', 'carl']) await server.addUser({ handle: `${name}@example.com`, password: 'pw' });
  });
  after(() => {
    for (const c of clients) c.close();
  });

  async function signIn(handle: string, dialect: string): Promise<MsnClient> {
    const client = await server.login(handle, { dialects: [dialect] });
    clients.push(client);
    return client;
  }

  test('MSNP3+ get text/x-msmsgsinitialemailnotification right after the profile (sessions.md session 1)', async () => {
    assert.deepEqual(await put(server, 'alice@example.com', { inboxUnread: 2, foldersUnread: 0 }), {
      status: 200,
      json: { inboxUnread: 2, foldersUnread: 0 },
    });
    for (const dialect of ['MSNP3', 'MSNP5', 'MSNP7']) {
      const alice = await signIn('alice@example.com', dialect);
      const expected =
        'MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinitialemailnotification; charset=UTF-8\r\n\r\n' +
        `Inbox-Unread: 2\r\nFolders-Unread: 0\r\nInbox-URL: /cgi-bin/HoTMaiL\r\nFolders-URL: /cgi-bin/folders\r\nPost-URL: ${WEB}/md5auth?lc=1033\r\n\r\n`;
      assert.deepEqual(await lineAfterProfile(alice), { line: `MSG Hotmail Hotmail ${expected.length}`, payload: expected });
    }
  });

  test('MSNP2 gets the same counts as application/x-msmsgsemailnotification', async () => {
    await put(server, 'bob@example.com', { inboxUnread: 0, foldersUnread: 5 });
    const bob = await signIn('bob@example.com', 'MSNP2');
    const { line, payload } = await lineAfterProfile(bob);
    assert.match(line, /^MSG Hotmail Hotmail \d+$/);
    assert.equal(payload.split('\r\n')[1], 'Content-Type: application/x-msmsgsemailnotification');
    assert.ok(payload.includes('\r\nInbox-Unread: 0\r\nFolders-Unread: 5\r\n'));
  });

  test('nothing without unread mail, nor for an account never reported', async () => {
    await put(server, 'bob@example.com', { inboxUnread: 0, foldersUnread: 0 });
    assert.equal((await lineAfterProfile(await signIn('bob@example.com', 'MSNP5'))).line, 'QNG');
    assert.equal((await lineAfterProfile(await signIn('carl@example.com', 'MSNP5'))).line, 'QNG');
  });

  test('bad requests: 400 for bad counts or extra fields, 404 for no account, 401 without the token', async () => {
    for (const body of [
      { inboxUnread: -1, foldersUnread: 0 },
      { inboxUnread: 1.5, foldersUnread: 0 },
      { inboxUnread: 1 },
      { inboxUnread: 1, foldersUnread: 0, x: 1 },
      'text',
    ]) {
      assert.equal((await put(server, 'alice@example.com', body)).status, 400, JSON.stringify(body));
    }
    assert.equal((await put(server, 'nobody@example.com', { inboxUnread: 1, foldersUnread: 0 })).status, 404);
    assert.equal(
      (await put(server, 'alice@example.com', { inboxUnread: 1, foldersUnread: 0 }, { 'content-type': 'application/json' })).status,
      401,
    );
    const alice = await signIn('alice@example.com', 'MSNP5');
    assert.ok((await lineAfterProfile(alice)).payload.includes('Inbox-Unread: 2\r\n'), 'the refused requests changed nothing');
  });
});

describe('without a webmail', () => {
  test('409 from the API, and no notification at sign-in (EmailEnabled: 0)', async () => {
    const server = await TestMsnd.start({ adminToken: TOKEN });
    try {
      await server.addUser({ handle: 'dora@example.com', password: 'pw' });
      const account = await server.store.findAccount('dora@example.com');
      await server.store.setMailbox(account!.id, { inboxUnread: 3, foldersUnread: 0 });
      assert.equal((await put(server, 'dora@example.com', { inboxUnread: 3, foldersUnread: 0 })).status, 409);
      const dora = await server.login('dora@example.com', { dialects: ['MSNP5'] });
      assert.equal((await lineAfterProfile(dora)).line, 'QNG');
      dora.close();
    } finally {
      await server.stop();
    }
  });
});

test('initialMailNotification rebuilds the 223 bytes of sessions.md session 1', () => {
  const payload = initialMailNotification(true, {
    inboxUnread: 2,
    foldersUnread: 0,
    inboxUrl: '/cgi-bin/HoTMaiL',
    foldersUrl: '/cgi-bin/folders',
    postUrl: 'http://mail.example.com/',
  });
  assert.equal(payload.length, 223);
});
