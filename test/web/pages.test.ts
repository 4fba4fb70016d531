/**
 * The web pages over real HTTP on loopback: PASSWORD, PERSON, PROFILE and the public profile,
 * MOBILE and CHGMOB with the BPR they cause (MSNP5.md 9.14–9.16), INBOX/COMPOSE/FOLDERS without a
 * webmail, sign-up validation and verification links, and the admin API's authentication.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { LoginError } from '../../src/client/errors.ts';
import { TestMsnd, useMsnd } from '../helpers/msnd.ts';
import {
  formToken,
  hiddenForm,
  httpGet,
  httpPostForm,
  httpPostJson,
  linkIn,
  noticeOf,
  requestUrl,
  sessionCookie,
  waitForEml,
  webBase,
} from '../helpers/web.ts';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

let server: TestMsnd;
let base: string;
/** Without SMTP settings e-mails are .eml files in <dataDir>/outbox. */
let dataDir: string;
let run = 0;
const opened: MsnClient[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'msnd-web-'));
  server = await TestMsnd.start({ dataDir, adminToken: ADMIN_TOKEN, limits: { webSignups: 1000 } });
  base = webBase(server);
});
after(async () => {
  for (const client of opened) client.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

interface Member {
  handle: string;
  password: string;
  client: MsnClient;
  cookie: string;
}

/** A fresh account, signed in to the NS and, through the URL form, to the web. */
async function member(name: string, display?: string): Promise<Member> {
  const handle = `${name}${++run}@example.com`;
  const password = `pw-${name}`;
  await server.addUser({ handle, password, ...(display && { name: display }) });
  const client = await server.login(handle);
  opened.push(client);
  const answer = await httpPostForm(`${base}/md5auth`, hiddenForm(client, password, { redirect: '/', siteId: '2' }));
  assert.equal(answer.status, 302);
  return { handle, password, client, cookie: sessionCookie(answer.setCookie)! };
}

/** GETs a page and POSTs its form back with `fields` and the page's form token. */
async function submit(who: Member, path: string, fields: Record<string, string>) {
  const page = await httpGet(`${base}${path}`, who.cookie);
  assert.equal(page.status, 200, `GET ${path}`);
  return httpPostForm(`${base}${path}`, { ...fields, form_token: formToken(page.body) }, who.cookie);
}

describe('PASSWORD', () => {
  test('a wrong current password, a short one and a mismatch are refused; nothing changes', async () => {
    const who = await member('pat');
    const cases: [Record<string, string>, RegExp][] = [
      [{ old: 'wrong', new: 'new-secret', confirm: 'new-secret' }, /current password is not correct/],
      [{ old: who.password, new: 'short', confirm: 'short' }, /6 to 128 characters/],
      [{ old: who.password, new: 'new-secret', confirm: 'new-secreT' }, /not the same/],
      [{ old: who.password, new: 'has space', confirm: 'has space' }, /no spaces/],
    ];
    for (const [fields, message] of cases) {
      const answer = await submit(who, '/password', fields);
      assert.equal(answer.status, 400);
      assert.match(noticeOf(answer.body) ?? '', message);
    }
    assert.equal(await server.store.secretOf(who.handle), who.password);
  });

  test('a change takes effect at the next MD5 login; the old password then gets 911', async () => {
    const who = await member('pia');
    const answer = await submit(who, '/password', { old: who.password, new: 'brand-new-1', confirm: 'brand-new-1' });
    assert.equal(answer.status, 200);
    assert.match(noticeOf(answer.body) ?? '', /has been changed/);
    const fresh = await server.login(who.handle, { password: 'brand-new-1' });
    opened.push(fresh);
    await assert.rejects(server.login(who.handle, { password: who.password }), (e: unknown) => e instanceof LoginError && e.code === 911);
  });
});

describe('PERSON: the profile message fields (MSNP5.md 12.1)', () => {
  test('saved values appear in the profile message of the next login', async () => {
    const who = await member('pem');
    const fields = {
      preferredEmail: 'pem.home@example.org',
      langPreference: '1031',
      country: 'de',
      postalCode: '10115',
      gender: 'F',
      age: '31',
      birthday: '1970-01-01',
    };
    const answer = await submit(who, '/person', fields);
    assert.equal(answer.status, 200);
    const next = await server.login(who.handle);
    opened.push(next);
    assert.equal(next.profile.PreferredEmail, 'pem.home@example.org');
    assert.equal(next.profile.lang_preference, '1031');
    assert.equal(next.profile.country, 'DE');
    assert.equal(next.profile.PostalCode, '10115');
    assert.equal(next.profile.Gender, 'F');
    assert.equal(next.profile.Age, '31');
    assert.equal(next.profile.Birthday, '1970-01-01');
  });

  test('a value with CR LF (a header injection) or a bad field is refused', async () => {
    const who = await member('pen');
    const cases: [Record<string, string>, RegExp][] = [
      [{ postalCode: '1\r\nMSPAuth: x' }, /postal code/],
      [{ preferredEmail: 'not an address' }, /e-mail address/],
      [{ country: 'USA' }, /two letters/],
      [{ langPreference: '99999' }, /language/],
      [{ gender: 'X' }, /gender/],
      [{ age: 'old' }, /age/],
    ];
    for (const [fields, message] of cases) {
      const answer = await submit(who, '/person', fields);
      assert.equal(answer.status, 400, JSON.stringify(fields));
      assert.match(noticeOf(answer.body) ?? '', message);
    }
    const account = await server.store.findAccount(who.handle);
    assert.equal(account?.profile.postalCode, '');
  });
});

describe('PROFILE and /member/<id>', () => {
  test('a listed member has a public profile without the e-mail address', async () => {
    const who = await member('liz', 'Liz <b>L</b>');
    const saved = await submit(who, '/profile', {
      listed: 'Y',
      firstName: 'Liz',
      lastName: 'Lemon',
      city: 'Springfield',
      state: 'IL',
      country: 'US',
    });
    assert.equal(saved.status, 200);
    const entry = await server.store.directoryEntry((await server.store.findAccount(who.handle))!.id);
    assert.deepEqual(entry, { listed: true, firstName: 'Liz', lastName: 'Lemon', city: 'Springfield', state: 'IL', country: 'US' });
    const id = who.client.profile.MemberIdLow!;
    const page = await httpGet(`${base}/member/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<span id="name">Liz Lemon<\/span>/);
    assert.match(page.body, /Springfield, IL, US/);
    assert.match(page.body, /<span id="friendly">Liz &lt;b&gt;L&lt;\/b&gt;<\/span>/, 'the name is escaped');
    assert.ok(!page.body.includes(who.handle), 'never the e-mail address');
    assert.ok(!page.body.includes('@'), 'nothing that looks like an address');
  });

  test('an unlisted member, a member named by its address, and unknown ids have no public profile', async () => {
    const unlisted = await member('uli');
    await submit(unlisted, '/profile', { firstName: 'Uli', lastName: 'U' });
    assert.equal((await httpGet(`${base}/member/${unlisted.client.profile.MemberIdLow}`)).status, 404);
    const byAddress = await member('ada');
    await submit(byAddress, '/profile', { listed: 'Y', firstName: 'Ada', lastName: 'A' });
    const page = await httpGet(`${base}/member/${byAddress.client.profile.MemberIdLow}`);
    assert.equal(page.status, 200);
    assert.ok(!page.body.includes(byAddress.handle), 'a friendly name that is the handle is not shown');
    assert.equal((await httpGet(`${base}/member/999999`)).status, 404);
    assert.equal((await httpGet(`${base}/member/abc`)).status, 404);
  });

  test('each value must fit FND once encoded (387 bytes, no control characters), and a result can be searched for again', async () => {
    const who = await member('kim');
    // 44 × 日 is 44 characters but 396 bytes once %-encoded; U+0085 is a control character
    for (const firstName of ['日'.repeat(44), 'a\u0085b']) {
      const answer = await submit(who, '/profile', { listed: 'Y', firstName, lastName: 'Kim' });
      assert.equal(answer.status, 400, firstName);
      assert.match(noticeOf(answer.body) ?? '', /too long once encoded/);
    }
    const firstName = '日'.repeat(43);
    assert.equal((await submit(who, '/profile', { listed: 'Y', firstName, lastName: 'Kim', country: 'KR' })).status, 200);
    const conn = who.client.conn;
    const wire = '%E6%97%A5'.repeat(43);
    conn.send('FND', 7, `fname=${wire}`, 'lname=Kim', 'city=*', 'state=*', 'country=KR');
    const found = (await conn.next('FND')).line;
    assert.equal(found, `FND 7 1 1 fname=${wire} lname=Kim city= state= country=KR`);
    conn.send(
      'FND',
      8,
      ...found
        .split(' ')
        .slice(4)
        .map((t) => (t.endsWith('=') ? `${t}*` : t)),
    );
    assert.equal((await conn.next('FND')).line, found.replace('FND 7', 'FND 8'));
  });

  test('listing needs a first and a last name', async () => {
    const who = await member('nan');
    const answer = await submit(who, '/profile', { listed: 'Y', firstName: 'Nan', lastName: '' });
    assert.equal(answer.status, 400);
    assert.match(noticeOf(answer.body) ?? '', /first and last name/);
  });
});

describe('MOBILE and CHGMOB: the same changes as PRP, seen by watchers as BPR (MSNP5.md 9.14, 9.15)', () => {
  /** bob watches alice: bob has alice on FL and has sent SYN. */
  async function watched(): Promise<{ alice: Member; bob: MsnClient }> {
    const alice = await member('mia');
    const bobHandle = `mo${++run}@example.com`;
    await server.addUser({ handle: bobHandle, password: 'pw-mo' });
    const bob = await server.online(bobHandle);
    opened.push(bob);
    await bob.add('FL', alice.handle);
    bob.conn.drain();
    return { alice, bob };
  }

  test('MOBILE: the number, MBE on (server-controlled) and MOB Y; the watcher gets BPR PHM and MOB', async () => {
    const { alice, bob } = await watched();
    const v = bob.version;
    const answer = await submit(alice, '/mobile/setup', { PHM: '1 (555) 0199', MOB: 'Y' });
    assert.equal(answer.status, 200);
    assert.match(answer.body, /<b id="mbe">on<\/b>/);
    assert.equal((await bob.conn.next('BPR')).line, `BPR ${v + 1} ${alice.handle} PHM 1%20(555)%200199`);
    assert.equal((await bob.conn.next('BPR')).line, `BPR ${v + 2} ${alice.handle} MOB Y`);
    const account = await server.store.findAccount(alice.handle);
    assert.deepEqual(account?.phones, { PHH: '', PHW: '', PHM: '1%20(555)%200199', MOB: 'Y', MBE: 'Y' });
    // Alice's own SYN shows the new values, MBE included (MSNP5.md 9.4).
    const own = await alice.client.sync(0);
    const prp = own.lines.filter((r) => r.name === 'PRP').map((r) => r.args.slice(2).join(' '));
    assert.deepEqual(prp, ['PHH', 'PHW', 'PHM 1%20(555)%200199', 'MOB Y', 'MBE Y']);
  });

  test('MOBILE: a missing or malformed number is refused and nothing is sent', async () => {
    const { alice, bob } = await watched();
    for (const PHM of ['', 'call me', '1'.repeat(96)]) {
      const answer = await submit(alice, '/mobile/setup', { PHM, MOB: 'Y' });
      assert.equal(answer.status, 400, PHM);
    }
    await bob.conn.expectNothing('BPR', 200);
    assert.equal((await server.store.findAccount(alice.handle))?.phones.MBE, 'N');
  });

  test('CHGMOB: only the changed numbers cause BPR; MOB Y without MSN Mobile is stored as N', async () => {
    const { alice, bob } = await watched();
    const v = bob.version;
    const answer = await submit(alice, '/mobile/settings', { PHH: '555 0100', PHW: '', PHM: '', MOB: 'Y' });
    assert.equal(answer.status, 200);
    assert.equal((await bob.conn.next('BPR')).line, `BPR ${v + 1} ${alice.handle} PHH 555%200100`);
    await bob.conn.expectNothing('BPR', 200);
    assert.equal((await server.store.findAccount(alice.handle))?.phones.MOB, 'N');
  });

  test('CHGMOB: turning MSN Mobile off stores MOB N, which the watcher sees', async () => {
    const { alice, bob } = await watched();
    await submit(alice, '/mobile/setup', { PHM: '555 0101', MOB: 'Y' });
    await bob.conn.next((r) => r.name === 'BPR' && r.args[2] === 'MOB');
    bob.conn.drain();
    const v = bob.version;
    const answer = await submit(alice, '/mobile/settings', { PHH: '', PHW: '', PHM: '555 0101', MOB: 'Y', MBE_OFF: 'Y' });
    assert.equal(answer.status, 200);
    assert.match(answer.body, /<b id="mbe">off<\/b>/);
    assert.equal((await bob.conn.next('BPR')).line, `BPR ${v + 1} ${alice.handle} MOB N`);
    assert.deepEqual((await server.store.findAccount(alice.handle))?.phones, { PHH: '', PHW: '', PHM: '555%200101', MOB: 'N', MBE: 'N' });
  });

  test('a PRP from the client still works the same way (the shared core function)', async () => {
    const { alice, bob } = await watched();
    const v = bob.version;
    const reply = await alice.client.conn.request('PRP', 'PHW', '555%200102');
    assert.match(reply.line, new RegExp(`^PRP \\d+ \\d+ PHW 555%200102$`));
    assert.equal((await bob.conn.next('BPR')).line, `BPR ${v + 1} ${alice.handle} PHW 555%200102`);
  });
});

describe('INBOX, COMPOSE, FOLDERS without a webmail', () => {
  test('say there is no e-mail here (404), and EmailEnabled is 0', async () => {
    for (const path of ['/inbox', '/compose?to=a%40example.com', '/folders']) {
      const answer = await httpGet(`${base}${path}`);
      assert.equal(answer.status, 404, path);
      assert.match(answer.body, /no webmail/);
    }
    const who = await member('eno');
    assert.equal(who.client.profile.EmailEnabled, '0');
  });
});

describe('sign-up validation', () => {
  const valid = { handle: 'newbie@example.com', password: 'secret-1', confirm: 'secret-1', name: 'New Bie' };
  const cases: [string, Record<string, string>, RegExp][] = [
    ['an address without a domain', { handle: 'newbie' }, /valid e-mail address/],
    ['an address with a space', { handle: 'new bie@example.com' }, /valid e-mail address/],
    ['a password too short', { password: 'abc', confirm: 'abc' }, /6 to 128 characters/],
    ['passwords that differ', { confirm: 'secret-2' }, /not the same/],
    ['a name with a reserved word', { name: 'MSN Support' }, /another name/],
    ['a name too long', { name: 'é'.repeat(200) }, /too long/],
    ['a name with a control character', { name: 'a\u0007b' }, /not allowed/],
  ];
  for (const [what, change, message] of cases) {
    test(`${what} is refused and no account is made`, async () => {
      const answer = await httpPostForm(`${base}/signup`, { ...valid, ...change });
      assert.equal(answer.status, 400);
      assert.match(noticeOf(answer.body) ?? '', message);
      assert.equal(await server.store.findAccount(change.handle ?? valid.handle), undefined);
    });
  }

  test('a valid sign-up makes an unverified account; an existing address gets the same answer', async () => {
    const answer = await httpPostForm(`${base}/signup`, { ...valid, handle: 'Fresh@Example.com' });
    assert.equal(answer.status, 200);
    assert.match(answer.body, /<p id="sent">/);
    const account = await server.store.findAccount('fresh@example.com');
    assert.equal(account?.verified, false);
    assert.equal(account?.friendlyName, 'New%20Bie');
    assert.equal(await server.store.secretOf('fresh@example.com'), 'secret-1');
    const again = await httpPostForm(`${base}/signup`, {
      ...valid,
      handle: 'fresh@example.com',
      password: 'other-pw',
      confirm: 'other-pw',
    });
    assert.equal(again.status, 200);
    assert.equal(again.body, answer.body, 'no telling which addresses have accounts');
    assert.equal(await server.store.secretOf('fresh@example.com'), 'secret-1', 'the existing account is untouched');
  });

  test('the e-mailed link verifies once it is opened; a tampered or expired one verifies nobody', async () => {
    const signUp = (on: string, handle: string) => httpPostForm(`${on}/signup`, { ...valid, handle });
    const linkFor = async (outboxOf: string, handle: string) =>
      linkIn(await waitForEml(join(outboxOf, 'outbox'), (text) => text.includes(`To: ${handle}`)), '/verify?token=');
    // The suite's server keeps links for the default week: a busy machine's slow e-mail cannot expire them.
    assert.equal((await signUp(base, 'soon@example.com')).status, 200);
    const link = await linkFor(dataDir, 'soon@example.com');
    const tampered = link.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    assert.equal((await httpGet(tampered)).status, 400);
    assert.equal((await server.store.findAccount('soon@example.com'))?.verified, false);
    const opened = await httpGet(link);
    assert.equal(opened.status, 200);
    assert.match(opened.body, /<p id="verified">/);
    assert.equal((await server.store.findAccount('soon@example.com'))?.verified, true);

    // Expiry, on a server of its own whose links last a second (expiry times are whole seconds).
    const shortDir = await mkdtemp(join(tmpdir(), 'msnd-web-'));
    const short = await TestMsnd.start({ dataDir: shortDir, limits: { verifyLinkMs: 1000, webSignups: 1000 } });
    try {
      assert.equal((await signUp(webBase(short), 'late@example.com')).status, 200);
      const lateLink = await linkFor(shortDir, 'late@example.com');
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const expired = await httpGet(lateLink);
      assert.equal(expired.status, 400);
      assert.match(expired.body, /not valid or has expired/);
      assert.equal((await short.store.findAccount('late@example.com'))?.verified, false);
    } finally {
      await short.stop();
      await rm(shortDir, { recursive: true, force: true });
    }
  });

  test('verification links: forged and malformed ones verify nobody', async () => {
    for (const token of ['', 'abc', 'MQ.9999999999.' + 'A'.repeat(43)]) {
      const answer = await httpGet(`${base}/verify?token=${encodeURIComponent(token)}`);
      assert.equal(answer.status, 400, token);
      assert.match(answer.body, /not valid or has expired/);
    }
  });
});

describe('admin API', () => {
  test('needs the bearer token (401), and answers metrics with it', async () => {
    assert.equal((await httpGet(`${base}/admin/metrics`)).status, 401);
    const wrong = await httpGet(`${base}/admin/metrics`, undefined, { authorization: `Bearer ${ADMIN_TOKEN}x` });
    assert.equal(wrong.status, 401);
    const basic = await httpGet(`${base}/admin/metrics`, undefined, { authorization: `Basic ${ADMIN_TOKEN}` });
    assert.equal(basic.status, 401);
    await member('met');
    const ok = await httpGet(`${base}/admin/metrics`, undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
    assert.equal(ok.status, 200);
    const metrics = JSON.parse(ok.body) as { sessionsOnline: number; accounts: number };
    assert.equal(metrics.sessionsOnline, await server.bus.routes.onlineCount());
    assert.equal(metrics.accounts, (await server.store.listAccounts()).length);
    assert.ok(metrics.sessionsOnline >= 1);
  });

  test('POST /admin/alerts without the token stores nothing (401)', async () => {
    const answer = await httpPostJson(`${base}/admin/alerts`, { all: true, text: 'hello' });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.includes('recipients'), false);
  });

  test('POST /admin/alerts: bad requests get 400; a good one is delivered as NOT', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const who = await member('not');
    const bad: unknown[] = [
      {},
      { all: true },
      { to: who.handle, all: true, text: 'x' },
      { to: 'nobody@example.com', text: 'x' },
      { all: true, text: 'x', url: 'ftp://x' },
    ];
    for (const body of bad) assert.equal((await httpPostJson(`${base}/admin/alerts`, body, auth)).status, 400, JSON.stringify(body));
    const answer = await httpPostJson(`${base}/admin/alerts`, { to: who.handle, text: 'Maintenance at 22:00 UTC.' }, auth);
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body) as { recipients: number }).recipients, 1);
    const alert = await who.client.conn.next('NOT', 5000);
    assert.match(alert.payload!.toString(), /<TEXT>Maintenance at 22:00 UTC\.<\/TEXT>/);
  });
});

describe('admin API without a token configured', () => {
  const plain = useMsnd();

  test('does not exist (404), with or without a bearer header', async () => {
    const url = webBase(plain);
    assert.equal((await httpGet(`${url}/admin/metrics`)).status, 404);
    assert.equal((await httpGet(`${url}/admin/metrics`, undefined, { authorization: 'Bearer x' })).status, 404);
    assert.equal((await httpPostJson(`${url}/admin/alerts`, { all: true, text: 'x' })).status, 404);
  });
});

describe('with a webmail configured', () => {
  const WEBMAIL = 'http://mail.example.test/owa';
  let mailServer: TestMsnd;
  let mailBase: string;
  before(async () => {
    mailServer = await TestMsnd.start({ dataDir, webmailUrl: WEBMAIL });
    mailBase = webBase(mailServer);
  });
  after(async () => mailServer.stop());

  test('EmailEnabled is 1, and URL INBOX leads through the login page to the webmail', async () => {
    await mailServer.addUser({ handle: 'mailer@example.com', password: 'pw-mailer' });
    const client = await mailServer.login('mailer@example.com');
    try {
      assert.equal(client.profile.EmailEnabled, '1');
      const target = await requestUrl(client, 'INBOX');
      const signedIn = await httpPostForm(`${mailBase}/md5auth`, hiddenForm(client, 'pw-mailer', target));
      assert.equal(signedIn.status, 302);
      assert.equal(signedIn.location, target.redirect);
      const inbox = await httpGet(`${mailBase}${signedIn.location}`);
      assert.equal(inbox.status, 302);
      assert.equal(inbox.location, WEBMAIL);
    } finally {
      client.close();
    }
  });

  test('INBOX, FOLDERS and COMPOSE (with its address) redirect to the webmail', async () => {
    const cases: [string, string][] = [
      ['/inbox', WEBMAIL],
      ['/folders', WEBMAIL],
      ['/cgi-bin/HoTMaiL', WEBMAIL],
      ['/cgi-bin/folders', WEBMAIL],
      ['/compose?to=carol%40example.com', `${WEBMAIL}?to=carol%40example.com`],
      ['/cgi-bin/compose?mailto=1&to=carol%40example.com', `${WEBMAIL}?to=carol%40example.com`],
      ['/cgi-bin/compose?mailto=1&to=not%20an%20address', WEBMAIL],
    ];
    for (const [path, location] of cases) {
      const answer = await httpGet(`${mailBase}${path}`);
      assert.equal(answer.status, 302, path);
      assert.equal(answer.location, location, path);
    }
  });

  test('an ru into the webmail is followed; one to a look-alike host is not', async () => {
    await mailServer.addUser({ handle: 'ru@example.com', password: 'pw-ru' });
    const client = await mailServer.login('ru@example.com');
    try {
      const form = (ru: string) => hiddenForm(client, 'pw-ru', { redirect: ru, siteId: '2' });
      const into = await httpPostForm(`${mailBase}/md5auth`, form(`${WEBMAIL}/inbox?x=1`));
      assert.equal(into.location, `${WEBMAIL}/inbox?x=1`);
      for (const ru of [
        'http://mail.example.test.evil.example/owa',
        'https://mail.example.test/owa',
        'http://mail.example.test/other',
        'http://mail.example.test/owa-x',
      ]) {
        const answer = await httpPostForm(`${mailBase}/md5auth`, form(ru));
        assert.equal(answer.location, '/', ru);
      }
    } finally {
      client.close();
    }
  });
});
