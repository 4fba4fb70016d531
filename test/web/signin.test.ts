/**
 * The URL auto-login over real HTTP on loopback (MSNP5.md 9.16, 12.1): a form signs the browser in
 * only with the MSPAuth of a current NS session of its own account, the right creds and a fresh sl.
 * Also: the signed session cookie, the form token of signed-in forms, and no open redirect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { useMsnd } from '../helpers/msnd.ts';
import {
  formToken,
  hiddenForm,
  httpGet,
  httpPostForm,
  secondsSinceLogin,
  sessionCookie,
  webBase,
  type HttpAnswer,
} from '../helpers/web.ts';

const PASSWORD_PAGE = { redirect: '/password', siteId: '2' };

const server = useMsnd();
let base: string;
let run = 0;
const opened: MsnClient[] = [];

before(async () => {
  await server.ready();
  base = webBase(server);
});
after(() => {
  for (const client of opened) client.close();
});

/** A fresh account, signed in: `alice` → alice<n>@example.com with password `pw-alice`. */
async function signedIn(name: string): Promise<{ client: MsnClient; handle: string; password: string }> {
  const handle = `${name}${++run}@example.com`;
  const password = `pw-${name}`;
  await server.addUser({ handle, password });
  const client = await server.login(handle);
  opened.push(client);
  return { client, handle, password };
}

function post(fields: Record<string, string>): Promise<HttpAnswer> {
  return httpPostForm(`${base}/md5auth`, fields);
}

function assertRefused(answer: HttpAnswer): void {
  assert.equal(answer.status, 403);
  assert.deepEqual(answer.setCookie, [], 'a refused form sets no cookie');
  assert.match(answer.body, /could not sign you in/);
}

describe('a genuine form', () => {
  test('signs the browser in with a signed HttpOnly cookie and redirects to rru', async () => {
    const { client, handle, password } = await signedIn('alice');
    const answer = await post(hiddenForm(client, password, PASSWORD_PAGE));
    assert.equal(answer.status, 302);
    assert.equal(answer.location, '/password');
    const line = answer.setCookie.find((c) => c.startsWith('msnd_web='));
    assert.ok(line, 'session cookie set');
    assert.match(line, /HttpOnly/);
    assert.match(line, /SameSite=Lax/);
    const page = await httpGet(`${base}/password`, sessionCookie(answer.setCookie));
    assert.equal(page.status, 200);
    assert.ok(page.body.includes(handle), 'the page names the signed-in member');
    assert.match(page.body, /name="old"/);
  });

  test('works as a GET with the fields in the query string too', async () => {
    const { client, password } = await signedIn('gina');
    const query = new URLSearchParams(hiddenForm(client, password, { redirect: '/mobile/setup', siteId: '961' }));
    const answer = await httpGet(`${base}/md5auth?${query}`);
    assert.equal(answer.status, 302);
    assert.equal(answer.location, '/mobile/setup');
    assert.ok(sessionCookie(answer.setCookie));
  });

  test('accepts creds written in upper-case hex and login as the part before the @', async () => {
    const { client, handle, password } = await signedIn('hank');
    const form = hiddenForm(client, password, PASSWORD_PAGE);
    const answer = await post({ ...form, creds: form.creds!.toUpperCase(), login: handle.split('@')[0]! });
    assert.equal(answer.status, 302);
  });

  test('an ru of msnd itself is followed as a path of this server', async () => {
    const { client, password } = await signedIn('ivy');
    const answer = await post(hiddenForm(client, password, { redirect: `${base}/mobile/settings?x=1`, siteId: '961' }));
    assert.equal(answer.status, 302);
    assert.equal(answer.location, '/mobile/settings?x=1');
  });
});

describe('forms that sign nobody in (403)', () => {
  test('forged creds: MD5 with a wrong password', async () => {
    const { client } = await signedIn('bob');
    assertRefused(await post(hiddenForm(client, 'not-the-password', PASSWORD_PAGE)));
  });

  test('creds that are not 32 hex digits, and no creds at all', async () => {
    const { client, password } = await signedIn('bea');
    const form = hiddenForm(client, password, PASSWORD_PAGE);
    assertRefused(await post({ ...form, creds: `${form.creds!.slice(0, 31)}g` }));
    const { creds: _creds, ...withoutCreds } = form;
    assertRefused(await post(withoutCreds));
  });

  test('an MSPAuth nobody was given', async () => {
    const { client, password } = await signedIn('cid');
    assertRefused(await post(hiddenForm(client, password, PASSWORD_PAGE, { auth: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })));
    assertRefused(await post(hiddenForm(client, password, PASSWORD_PAGE, { auth: '' })));
  });

  test("another account's MSPAuth, with either account's password and name", async () => {
    const alice = await signedIn('amy');
    const bob = await signedIn('ben');
    const bobsAuth = bob.client.profile.MSPAuth!;
    // Alice's names and password with Bob's MSPAuth.
    assertRefused(await post(hiddenForm(alice.client, alice.password, PASSWORD_PAGE, { auth: bobsAuth })));
    // Bob's MSPAuth and password, but claiming to be Alice.
    const claim = hiddenForm(bob.client, bob.password, PASSWORD_PAGE);
    assertRefused(await post({ ...claim, login: alice.handle, username: alice.handle }));
    assertRefused(await post({ ...claim, username: alice.handle }));
    // Without any name at all.
    const { login: _l, username: _u, ...nameless } = claim;
    assertRefused(await post(nameless));
  });

  test('the MSPAuth of a session that ended with OUT', async () => {
    const { client, password } = await signedIn('dan');
    const form = hiddenForm(client, password, PASSWORD_PAGE);
    client.conn.send('OUT');
    await client.conn.closed;
    // The server forgets the MSPAuth as the session ends; wait until a fresh probe sees it gone.
    await eventually(async () => (await post(form)).status === 403);
    assertRefused(await post(form));
  });

  test('the MSPAuth of a session replaced by a second sign-in (OUT OTH); the new one works', async () => {
    const { client, handle, password } = await signedIn('eve');
    const oldForm = hiddenForm(client, password, PASSWORD_PAGE);
    const second = await server.login(handle);
    opened.push(second);
    await client.conn.closed;
    assertRefused(await post(oldForm));
    assert.equal((await post(hiddenForm(second, password, PASSWORD_PAGE))).status, 302);
  });

  test('an sl from the future, and an sl that is not a number', async () => {
    const { client, password } = await signedIn('fay');
    const future = String(secondsSinceLogin(client) + 3600);
    assertRefused(await post(hiddenForm(client, password, PASSWORD_PAGE, { sl: future })));
    assertRefused(await post(hiddenForm(client, password, PASSWORD_PAGE, { sl: '-1' })));
    assertRefused(await post(hiddenForm(client, password, PASSWORD_PAGE, { sl: '1e3' })));
  });
});

describe('a stale form', () => {
  const quick = useMsnd({ limits: { webFormMaxAgeMs: 1000 } });

  test('older than webFormMaxAgeMs signs nobody in; the same session with a fresh sl does', async () => {
    await quick.addUser({ handle: 'stale@example.com', password: 'pw-stale' });
    const client = await quick.login('stale@example.com');
    try {
      const oldForm = hiddenForm(client, 'pw-stale', PASSWORD_PAGE, { sl: '0' });
      await new Promise((resolve) => setTimeout(resolve, 2200));
      const url = `${webBase(quick)}/md5auth`;
      assertRefused(await httpPostForm(url, oldForm));
      const fresh = await httpPostForm(url, hiddenForm(client, 'pw-stale', PASSWORD_PAGE));
      assert.equal(fresh.status, 302);
    } finally {
      client.close();
    }
  });
});

describe('no open redirect', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['rru to another host (//)', { rru: '//evil.example/x' }, '/'],
    ['rru with a backslash', { rru: '/\\evil.example/x' }, '/'],
    ['rru without a leading slash', { rru: 'http://evil.example/' }, '/'],
    ['ru to another host', { ru: 'http://evil.example/password' }, '/'],
    ['ru to another port of this host', { ru: 'http://127.0.0.1:1/password' }, '/'],
    ['ru with a javascript: URL', { ru: 'javascript:alert(1)' }, '/'],
    ['no rru and no ru', {}, '/'],
    ['rru of this server', { rru: '/mobile/settings' }, '/mobile/settings'],
  ];
  for (const [name, target, expected] of cases) {
    test(name, async () => {
      const { client, password } = await signedIn('red');
      const { rru: _r, ...form } = hiddenForm(client, password, PASSWORD_PAGE);
      const answer = await post({ ...form, ...target });
      assert.equal(answer.status, 302);
      assert.equal(answer.location, expected);
      assert.ok(sessionCookie(answer.setCookie), 'a genuine form still signs in');
    });
  }
});

describe('the session cookie and form token', () => {
  test('pages that need a member answer 401 without a cookie, or with a tampered one', async () => {
    const { client, password } = await signedIn('sam');
    const cookie = sessionCookie((await post(hiddenForm(client, password, PASSWORD_PAGE))).setCookie)!;
    for (const path of ['/password', '/person', '/profile', '/mobile/setup', '/mobile/settings']) {
      assert.equal((await httpGet(`${base}${path}`)).status, 401, path);
      assert.equal((await httpGet(`${base}${path}`, cookie)).status, 200, path);
    }
    const [name, value] = cookie.split('=') as [string, string];
    const decoded = decodeURIComponent(value);
    const otherId = decoded.replace(/^\d+/, (id) => String(Number(id) + 1));
    assert.equal((await httpGet(`${base}/password`, `${name}=${encodeURIComponent(otherId)}`)).status, 401, 'id changed');
    assert.equal((await httpGet(`${base}/password`, `${name}=${decoded.split('.')[0]}.${decoded.split('.')[1]}`)).status, 401, 'unsigned');
  });

  test('a signed-in POST without the form token changes nothing (403)', async () => {
    const { client, handle, password } = await signedIn('tom');
    const cookie = sessionCookie((await post(hiddenForm(client, password, PASSWORD_PAGE))).setCookie)!;
    const change = { old: password, new: 'new-secret', confirm: 'new-secret' };
    const refused = await httpPostForm(`${base}/password`, change, cookie);
    assert.equal(refused.status, 403);
    assert.equal(await server.store.secretOf(handle), password);
    const wrongToken = await httpPostForm(`${base}/password`, { ...change, form_token: 'x'.repeat(43) }, cookie);
    assert.equal(wrongToken.status, 403);
    assert.equal(await server.store.secretOf(handle), password);
    const page = await httpGet(`${base}/password`, cookie);
    const done = await httpPostForm(`${base}/password`, { ...change, form_token: formToken(page.body) }, cookie);
    assert.equal(done.status, 200);
    assert.equal(await server.store.secretOf(handle), 'new-secret');
  });

  test('/signout asks on GET and clears the cookie on a POST with the form token; without the token it clears nothing', async () => {
    const { client, password } = await signedIn('uma');
    const answer = await post(hiddenForm(client, password, PASSWORD_PAGE));
    const cookie = sessionCookie(answer.setCookie);
    const asked = await httpGet(`${base}/signout`, cookie);
    assert.equal(asked.status, 200);
    assert.deepEqual(asked.setCookie, [], 'a GET (a link or an image on another site) signs nobody out');
    assert.match(asked.body, /<form method="post" action="\/signout">/);
    const forged = await httpPostForm(`${base}/signout`, { form_token: 'not-the-token' }, cookie);
    assert.equal(forged.status, 403);
    assert.deepEqual(forged.setCookie, []);
    assert.equal((await httpGet(`${base}/password`, cookie)).status, 200, 'still signed in');
    const out = await httpPostForm(`${base}/signout`, { form_token: formToken(asked.body) }, cookie);
    assert.equal(out.status, 200);
    assert.match(out.setCookie.join('\n'), /msnd_web=;/);
  });
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
