// New-mail notifications (MSNP5.md 12.2, 4.3; sessions.md session 10) from the admin API
// POST /admin/mail-notices to the account's NS session, in each dialect's form, over TCP and HTTP.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MsnClient } from '../../src/client/client.ts';
import { payloadText } from '../../src/client/received.ts';
import { parseServerConfig } from '../../src/server/config.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { startMsnd, type RunningMsnd } from '../../src/server/msnd.ts';
import { TestMsnd, useMsnd } from '../helpers/msnd.ts';
import { hiddenForm, httpGet, httpPostForm, httpPostJson, webBase } from '../helpers/web.ts';

const DIALECTS = ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'] as const;
const TOKEN = 'admin-token-for-mail-notices-0123';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const WEB = 'http://www.example.com';
const WEBMAIL = 'http://mail.example.test/owa';
const LUNCH = { from: 'Carol Example', fromAddr: 'carol@example.com', subject: 'Lunch?' };

/** The notification of sessions.md session 10, with msnd's Message-URL and Post-URL. */
function expectedPayload(
  dialectLevel: number,
  { from, fromAddr, subject, folder = 'ACTIVE' }: { from: string; fromAddr: string; subject: string; folder?: string },
): string {
  const type = dialectLevel >= 3 ? 'text/x-msmsgsemailnotification; charset=UTF-8' : 'application/x-msmsgsemailnotification';
  const id = dialectLevel >= 3 ? 'id: 2\r\n' : '';
  return (
    `MIME-Version: 1.0\r\nContent-Type: ${type}\r\n\r\n` +
    `From: ${from}\r\nMessage-URL: /cgi-bin/getmsg\r\nPost-URL: ${WEB}/md5auth?lc=1033\r\nSubject: ${subject}\r\n` +
    `Dest-Folder: ${folder}\r\nFrom-Addr: ${fromAddr}\r\n${id}\r\n`
  );
}

describe('POST /admin/mail-notices', () => {
  const server = useMsnd({ dialects: [...DIALECTS], adminToken: TOKEN, webmailUrl: WEBMAIL, webUrl: WEB });
  let url: string;
  const clients: MsnClient[] = [];

  before(async () => {
    for (const name of ['alice', 'bob', 'carl', 'dora', 'ezra', 'faye']) {
      await server.addUser({ handle: `${name}@example.com`, password: `${name}pass` });
    }
    url = `${webBase(server)}/admin/mail-notices`;
  });
  after(() => {
    for (const c of clients) c.close();
  });

  async function signIn(name: string, dialect: string): Promise<MsnClient> {
    const client = await server.login(`${name}@example.com`, { dialects: [dialect] });
    clients.push(client);
    return client;
  }

  async function notice(body: unknown, headers: Record<string, string> = AUTH) {
    const answer = await httpPostJson(url, body, headers);
    return { status: answer.status, json: JSON.parse(answer.body) as Record<string, unknown> };
  }

  test('an MSNP2 session gets application/x-msmsgsemailnotification without id', async () => {
    const alice = await signIn('alice', 'MSNP2');
    assert.deepEqual(await notice({ handle: 'alice@example.com', ...LUNCH }), { status: 200, json: { delivered: 1 } });
    const msg = await alice.conn.next('MSG', 3000);
    const expected = expectedPayload(2, LUNCH);
    assert.equal(msg.line, `MSG Hotmail Hotmail ${Buffer.byteLength(expected)}`);
    assert.equal(payloadText(msg), expected);
  });

  test('MSNP3 to MSNP7 sessions get text/x-msmsgsemailnotification with id: 2 (sessions.md session 10)', async () => {
    for (const level of [3, 4, 5, 6, 7]) {
      const bob = await signIn('bob', `MSNP${level}`);
      assert.deepEqual(await notice({ handle: 'bob@example.com', ...LUNCH }), { status: 200, json: { delivered: 1 } });
      const msg = await bob.conn.next('MSG', 3000);
      const expected = expectedPayload(level, LUNCH);
      assert.equal(msg.line, `MSG Hotmail Hotmail ${Buffer.byteLength(expected)}`, `MSNP${level}`);
      assert.equal(payloadText(msg), expected, `MSNP${level}`);
      bob.close();
    }
  });

  test('the handle is matched in any case; a folder and UTF-8 text are carried, the length in bytes', async () => {
    const carl = await signIn('carl', 'MSNP5');
    const mail = { from: 'Zoë Ünal', fromAddr: 'zoe@example.net', subject: 'Grüße — café at 5?', folder: 'F000000002' };
    assert.deepEqual(await notice({ handle: 'CARL@Example.COM', ...mail }), { status: 200, json: { delivered: 1 } });
    const msg = await carl.conn.next('MSG', 3000);
    const expected = expectedPayload(5, mail);
    assert.equal(msg.line, `MSG Hotmail Hotmail ${Buffer.byteLength(expected, 'utf8')}`);
    assert.equal(payloadText(msg), expected);
    // An empty subject is a mail without one.
    assert.equal((await notice({ handle: 'carl@example.com', ...LUNCH, subject: '' })).status, 200);
    assert.match(payloadText(await carl.conn.next('MSG', 3000)), /\r\nSubject:\r\n/);
  });

  test('an account that is not signed in: accepted with delivered 0, and nothing waits for its sign-in', async () => {
    assert.deepEqual(await notice({ handle: 'dora@example.com', ...LUNCH }), { status: 200, json: { delivered: 0 } });
    const dora = await signIn('dora', 'MSNP5');
    await dora.conn.expectNothing('MSG', 300);
  });

  test('no such account → 404; nothing is sent', async () => {
    const answer = await notice({ handle: 'nobody@example.com', ...LUNCH });
    assert.deepEqual(answer, { status: 404, json: { error: 'no account nobody@example.com' } });
  });

  test('bad bodies → 400 with the problem; the session gets nothing', async () => {
    const ezra = await signIn('ezra', 'MSNP5');
    const good = { handle: 'ezra@example.com', ...LUNCH };
    const bad: [unknown, RegExp][] = [
      [{}, /^handle: /],
      [{ ...good, handle: 'ezra' }, /^handle: must be the handle of an account$/],
      [{ ...good, handle: 42 }, /^handle: /],
      [{ ...good, from: '' }, /^from: /],
      [{ ...good, from: '   ' }, /^from: /],
      [{ ...good, from: 'Carol\r\nid: 999' }, /^from: must not contain control characters$/],
      [{ ...good, from: 'x'.repeat(129) }, /^from: /],
      [{ ...good, subject: 'Hi\nFrom-Addr: evil@example.com' }, /^subject: must not contain control characters$/],
      [{ ...good, subject: 'x'.repeat(257) }, /^subject: /],
      [{ ...good, subject: undefined }, /^subject: /],
      [{ ...good, fromAddr: 'carol' }, /^fromAddr: /],
      [{ ...good, fromAddr: 'carol@example.com\r\n' }, /^fromAddr: /],
      [{ ...good, folder: '' }, /^folder: /],
      [{ ...good, folder: '../inbox box' }, /^folder: /],
      [{ ...good, extra: 1 }, /Unrecognized key/],
      [[good], /^body: /],
      ['ezra@example.com', /^body: /],
    ];
    for (const [body, problem] of bad) {
      const answer = await notice(body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(String(answer.json.error), problem, JSON.stringify(body));
    }
    await ezra.conn.expectNothing('MSG', 200);
  });

  test('without the bearer token → 401, nothing is sent', async () => {
    const faye = await signIn('faye', 'MSNP5');
    assert.equal((await notice({ handle: 'faye@example.com', ...LUNCH }, {})).status, 401);
    assert.equal((await notice({ handle: 'faye@example.com', ...LUNCH }, { authorization: `Bearer ${TOKEN}x` })).status, 401);
    await faye.conn.expectNothing('MSG', 200);
  });

  test("Message-URL and Post-URL lead through msnd's login page to the webmail, like URL MESSAGE", async () => {
    const alice = await signIn('alice', 'MSNP5');
    await notice({ handle: 'alice@example.com', ...LUNCH });
    const fields = Object.fromEntries(
      payloadText(await alice.conn.next('MSG', 3000))
        .split('\r\n')
        .map((line) => line.split(': ') as [string, string]),
    );
    const loginUrl = `${webBase(server)}${new URL(fields['Post-URL']!).pathname}`;
    const signedIn = await httpPostForm(loginUrl, hiddenForm(alice, 'alicepass', { redirect: fields['Message-URL']!, siteId: fields.id! }));
    assert.deepEqual([signedIn.status, signedIn.location], [302, '/cgi-bin/getmsg']);
    const message = await httpGet(`${webBase(server)}${signedIn.location}`);
    assert.deepEqual([message.status, message.location], [302, WEBMAIL]);
  });
});

describe('POST /admin/mail-notices without a webmail', () => {
  const server = useMsnd({ adminToken: TOKEN });
  before(async () => {
    await server.addUser({ handle: 'alice@example.com', password: 'alicepass' });
  });

  test('409: e-mail notifications are off (EmailEnabled: 0); the session gets nothing', async () => {
    const alice = await server.login('alice@example.com');
    try {
      assert.equal(alice.profile.EmailEnabled, '0');
      const answer = await httpPostJson(`${webBase(server)}/admin/mail-notices`, { handle: 'alice@example.com', ...LUNCH }, AUTH);
      assert.equal(answer.status, 409);
      assert.deepEqual(JSON.parse(answer.body), { error: 'no webmail is configured (webmailUrl), so e-mail notifications are off' });
      await alice.conn.expectNothing('MSG', 200);
    } finally {
      alice.close();
    }
  });
});

describe('POST /admin/mail-notices across nodes', () => {
  let server: TestMsnd;
  let second: RunningMsnd;
  let secondDir: string;

  before(async () => {
    server = await TestMsnd.start({ dialects: [...DIALECTS], adminToken: TOKEN, webmailUrl: WEBMAIL, webUrl: WEB });
    await server.addUser({ handle: 'alice@example.com', password: 'alicepass' });
    // A second node with the same store and bus, as in cluster mode (DESIGN.md).
    secondDir = await mkdtemp(join(tmpdir(), 'msnd-node2-'));
    const config = parseServerConfig({
      host: '127.0.0.1',
      dsPort: 0,
      nsPort: 0,
      sbPort: 0,
      httpPort: 0,
      dataDir: secondDir,
      webUrl: WEB,
      webmailUrl: WEBMAIL,
      dialects: [...DIALECTS],
    });
    second = await startMsnd({ config, store: server.store, bus: server.bus, log: silentLogger(), webKey: randomBytes(32) });
  });
  after(async () => {
    await second.stop();
    await server.stop();
    await rm(secondDir, { recursive: true, force: true });
  });

  test('the admin API of one node reaches a session on the other', async () => {
    const alice = await MsnClient.login({
      host: '127.0.0.1',
      port: second.ports.ns,
      handle: 'alice@example.com',
      password: 'alicepass',
      dialects: ['MSNP5'],
      viaDispatch: false,
    });
    try {
      const answer = await httpPostJson(`${webBase(server)}/admin/mail-notices`, { handle: 'alice@example.com', ...LUNCH }, AUTH);
      assert.deepEqual([answer.status, JSON.parse(answer.body)], [200, { delivered: 1 }]);
      assert.equal(payloadText(await alice.conn.next('MSG', 3000)), expectedPayload(5, LUNCH));
    } finally {
      alice.close();
    }
  });
});
