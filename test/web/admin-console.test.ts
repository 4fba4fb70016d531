/**
 * The admin console (/admin/, issue 13 §2) over real HTTP on loopback against a real msnd, with
 * real MSNP clients: the sign-in form (admin role, password, CSRF, the failed-login lockout, the
 * cookie's attributes), each account action of core/admin.ts (the member's MSNP session sees its
 * effect), alerts (NOT), the outbox (retry, drop) and the audit log (actor `web:<handle>`); the
 * bearer-token JSON API keeps working beside it.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Admin } from '../../src/core/admin.ts';
import type { StoredAuditEntry } from '../../src/core/admin-store.ts';
import { PASSWORD, track, useMsnd } from '../helpers/msnd.ts';
import { httpPostJson, noticeOf, webBase, type HttpAnswer } from '../helpers/web.ts';

const ADMIN_TOKEN = 'console-test-token';
const server = useMsnd({
  adminToken: ADMIN_TOKEN,
  limits: {
    failedLoginsPerAddress: 1000,
    failedLoginsPerAccount: 1000,
    failedLoginsPerAddressAndAccount: 3,
    outboxPollMs: 100,
    outboxRetryMs: 60_000,
  },
});
let base: string;

before(async () => {
  await server.ready();
  base = webBase(server);
});

/** A browser without a script: it keeps its cookies (path /admin) and submits forms. */
class Browser {
  readonly cookies = new Map<string, string>();

  async get(path: string): Promise<HttpAnswer> {
    return this.keep(await fetch(`${base}${path}`, { redirect: 'manual', headers: { cookie: this.cookieHeader() } }));
  }

  async post(path: string, fields: Record<string, string>): Promise<HttpAnswer> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader() },
      body: new URLSearchParams(fields).toString(),
    });
    return this.keep(response);
  }

  /** Opens `page` and submits its form whose hidden `action` field (if given) matches, with these fields. */
  async submit(page: string, path: string, fields: Record<string, string>): Promise<HttpAnswer> {
    const form = await this.get(page);
    assert.equal(form.status, 200, `${page} opens`);
    return this.post(path, { _csrf: csrfOf(form.body), ...fields });
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async keep(response: Response): Promise<HttpAnswer> {
    const setCookie = response.headers.getSetCookie();
    for (const line of setCookie) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const value = pair.slice(at + 1);
      if (value === '' || /Expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(pair.slice(0, at));
      else this.cookies.set(pair.slice(0, at), value);
    }
    return {
      status: response.status,
      location: response.headers.get('location'),
      setCookie,
      body: await response.text(),
      contentType: response.headers.get('content-type'),
    };
  }
}

function csrfOf(body: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(body);
  if (!match) throw new Error('the page has no CSRF field');
  return match[1]!;
}

let serial = 0;

/** A fresh account with the admin role (granted as `msnd user grant-admin` does). */
async function newAdmin(): Promise<string> {
  const handle = `root-${++serial}@example.com`;
  await server.addUser({ handle, password: PASSWORD });
  await new Admin(server.store, { actor: 'cli:test' }).grantAdmin(handle);
  return handle;
}

async function disabledAdmin(): Promise<string> {
  const handle = await newAdmin();
  await new Admin(server.store, { actor: 'cli:test' }).disable(handle, 'on leave');
  return handle;
}

async function signedInAs(handle: string, password = PASSWORD): Promise<Browser> {
  const browser = new Browser();
  const answer = await browser.submit('/admin/signin', '/admin/signin', { handle, password });
  assert.equal(answer.status, 303, noticeOf(answer.body) ?? answer.body.slice(0, 200));
  assert.equal(answer.location, '/admin/');
  return browser;
}

async function auditOf(actor: string): Promise<StoredAuditEntry[]> {
  return (await server.store.admin.auditLog(0, 10_000)).filter((e) => e.actor === actor);
}

describe('sign-in', () => {
  test("the console asks for a sign-in; the form sets the site's CSRF secret cookie (signed, HttpOnly)", async () => {
    const browser = new Browser();
    const dashboard = await browser.get('/admin/');
    assert.equal(dashboard.status, 303);
    assert.equal(dashboard.location, '/admin/signin');
    assert.equal((await browser.get('/admin')).location, '/admin/signin', 'also without the slash');
    const form = await browser.get('/admin/signin');
    assert.equal(form.status, 200);
    assert.match(form.body, /name="password"/);
    const csrfCookie = form.setCookie.find((c) => c.startsWith('msnd_csrf='));
    assert.ok(csrfCookie, 'a CSRF secret cookie');
    assert.match(csrfCookie, /HttpOnly/);
    assert.doesNotMatch(form.body, /<script/i);
  });

  test('an admin signs in: an HttpOnly SameSite=Strict cookie, the dashboard, an audit entry', async () => {
    const handle = await newAdmin();
    const browser = new Browser();
    const answer = await browser.submit('/admin/signin', '/admin/signin', { handle: handle.toUpperCase(), password: PASSWORD });
    assert.equal(answer.status, 303);
    const cookie = answer.setCookie.find((c) => c.startsWith('msnd_admin='));
    assert.ok(cookie);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\/admin/);
    const dashboard = await browser.get('/admin/');
    assert.equal(dashboard.status, 200);
    assert.match(dashboard.body, /<td id="online">\d+<\/td>/);
    assert.match(dashboard.body, new RegExp(`<td>${server.msnd.ports.ns}|NS</th>`));
    const [entry] = await auditOf(`web:${handle}`);
    assert.equal(entry?.action, 'console-sign-in');
    assert.match(entry.detail, /from 127\.0\.0\.1/);
  });

  test('a member without the admin role, a wrong password and an unknown handle get the same refusal', async () => {
    const member = `member-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD });
    const admin = await newAdmin();
    const tries = [
      { handle: member, password: PASSWORD },
      { handle: admin, password: 'wrong-password' },
      { handle: `nobody-${serial}@example.com`, password: PASSWORD },
      { handle: 'not a handle', password: PASSWORD },
      { handle: await disabledAdmin(), password: PASSWORD },
    ];
    for (const fields of tries) {
      const browser = new Browser();
      const answer = await browser.submit('/admin/signin', '/admin/signin', fields);
      assert.equal(answer.status, 401, fields.handle);
      assert.equal(noticeOf(answer.body), 'Sign-in refused: wrong handle or password, or the account is not an administrator.');
      assert.ok(!browser.cookies.has('msnd_admin'), 'no admin cookie');
      assert.equal((await browser.get('/admin/')).status, 303);
    }
  });

  test('a sign-in without the CSRF token, with a forged one or without the CSRF cookie is refused', async () => {
    const handle = await newAdmin();
    const browser = new Browser();
    await browser.get('/admin/signin');
    const missing = await browser.post('/admin/signin', { handle, password: PASSWORD });
    assert.equal(missing.status, 403);
    const forged = await browser.post('/admin/signin', { handle, password: PASSWORD, _csrf: 'forged-token' });
    assert.equal(forged.status, 403);
    const other = new Browser();
    const token = csrfOf((await other.get('/admin/signin')).body);
    const crossSite = await new Browser().post('/admin/signin', { handle, password: PASSWORD, _csrf: token });
    assert.equal(crossSite.status, 403, 'a token without its cookie');
    for (const answer of [missing, forged, crossSite]) {
      assert.match(answer.body, /This form has expired/);
      assert.ok(!answer.setCookie.some((c) => c.startsWith('msnd_admin=')));
    }
    assert.equal((await browser.get('/admin/')).status, 303);
  });

  test('after 3 wrong passwords from one address the right one is refused too (429), as the MSNP login', async () => {
    const handle = await newAdmin();
    for (let i = 0; i < 3; i++) {
      const answer = await new Browser().submit('/admin/signin', '/admin/signin', { handle, password: `wrong-${i}` });
      assert.equal(answer.status, 401);
    }
    const locked = await new Browser().submit('/admin/signin', '/admin/signin', { handle, password: PASSWORD });
    assert.equal(locked.status, 429);
    assert.match(noticeOf(locked.body) ?? '', /Too many failed sign-ins/);
    await assert.rejects(server.login(handle), /911/, 'the MSNP login shares the lockout');
  });

  test('signing out ends the console session; so does revoking the admin role', async () => {
    const handle = await newAdmin();
    const browser = await signedInAs(handle);
    const out = await browser.submit('/admin/', '/admin/signout', {});
    assert.equal(out.status, 303);
    assert.equal((await browser.get('/admin/')).status, 303);

    const revoked = await newAdmin();
    const other = await signedInAs(revoked);
    const acting = await signedInAs(handle);
    const answer = await acting.submit(`/admin/account?handle=${revoked}`, '/admin/account', { handle: revoked, action: 'revoke-admin' });
    assert.equal(noticeOf(answer.body), `${revoked} is no longer an administrator.`);
    assert.equal((await other.get('/admin/')).status, 303);
  });

  test("the dashboard counts the last hour's Messenger sign-ins and refused logins", async () => {
    const browser = await signedInAs(await newAdmin());
    const figure = async (id: string) => Number(new RegExp(`<td id="${id}">(\\d+)</td>`).exec((await browser.get('/admin/')).body)?.[1]);
    const [signIns, refused] = [await figure('sign-ins'), await figure('refused')];
    const member = `counted-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD });
    track(await server.login(member));
    await assert.rejects(server.login(member, { password: 'wrong-password' }), /911/);
    // The counts are written beside the login's answer: wait for them (bounded by the test's timeout).
    while ((await figure('sign-ins')) < signIns + 1 || (await figure('refused')) < refused + 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await figure('sign-ins'), signIns + 1);
    assert.equal(await figure('refused'), refused + 1);
  });

  test('the bearer-token JSON API keeps working beside the console', async () => {
    const member = `member-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD });
    const answer = await httpPostJson(`${base}/admin/alerts`, { to: member, text: 'api' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse(answer.body).recipients, 1);
    assert.equal((await httpPostJson(`${base}/admin/alerts`, { to: member, text: 'api' })).status, 401);
  });
});

describe('account actions', () => {
  let admin: string;
  let browser: Browser;
  before(async () => {
    admin = await newAdmin();
    browser = await signedInAs(admin);
  });

  async function act(handle: string, fields: Record<string, string>): Promise<HttpAnswer> {
    return browser.submit(`/admin/account?handle=${encodeURIComponent(handle)}`, '/admin/account', { handle, ...fields });
  }

  async function lastAudit(): Promise<StoredAuditEntry> {
    const entries = await auditOf(`web:${admin}`);
    return entries[entries.length - 1]!;
  }

  test('find an account by handle or name, and show it (signed in now, over which dialect)', async () => {
    const member = `findme-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD, name: 'Zebra <Stripes>' });
    const client = track(await server.online(member));
    assert.ok(client);
    const byName = await browser.get('/admin/accounts?q=zebra');
    assert.match(byName.body, new RegExp(`href="/admin/account\\?handle=${encodeURIComponent(member)}"`));
    assert.match(byName.body, /Zebra &lt;Stripes&gt;/, 'escaped');
    assert.doesNotMatch(byName.body, /<Stripes>/);
    const shown = await browser.get(`/admin/account?handle=${encodeURIComponent(member)}`);
    assert.equal(shown.status, 200);
    assert.match(shown.body, /<td id="signed-in">yes, on node [^<]+MSNP\d/);
    const none = await browser.get('/admin/account?handle=ghost@example.com');
    assert.equal(none.status, 404);
    assert.equal(noticeOf(none.body), 'no account ghost@example.com');
  });

  test('verify, disable with a reason (the MSNP session ends with OUT), enable, kick', async () => {
    const member = `acted-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD, verified: false });
    assert.match((await act(member, { action: 'verify' })).body, /is verified\./);
    assert.equal((await server.store.findAccount(member))?.verified, true);

    const client = track(await server.online(member));
    const disabled = await act(member, { action: 'disable', reason: 'spam <links>' });
    assert.match(noticeOf(disabled.body) ?? '', /is disabled; its session on node .+ ended\./);
    assert.match(disabled.body, /<td id="disabled">yes \(spam &lt;links&gt;\)<\/td>/);
    await client.conn.next((r) => r.name === 'OUT' && r.args.length === 0);
    await assert.rejects(server.login(member), /911/);
    assert.deepEqual(await lastAudit(), { ...(await lastAudit()), action: 'disable', target: member, detail: 'spam <links>' });

    await act(member, { action: 'enable' });
    const again = track(await server.online(member));
    const kicked = await act(member, { action: 'kick' });
    assert.match(noticeOf(kicked.body) ?? '', /was kicked; its session on node .+ ended\./);
    await again.conn.next((r) => r.name === 'OUT' && r.args.length === 0);
    track(await server.login(member));
    const actions = (await auditOf(`web:${admin}`)).filter((e) => e.target === member).map((e) => e.action);
    assert.deepEqual(actions, ['verify', 'disable', 'enable', 'kick']);
  });

  test('rename: the signed-in session is told; a bad name is refused and changes nothing', async () => {
    const member = `renamed-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD });
    const client = track(await server.online(member));
    const renamed = await act(member, { action: 'rename', name: 'New Name' });
    assert.equal(noticeOf(renamed.body), `${member} is renamed.`);
    const rea = await client.conn.next('REA');
    assert.equal(rea.args.at(-1), 'New%20Name');
    const empty = await act(member, { action: 'rename', name: '  ' });
    assert.equal(empty.status, 400);
    assert.equal(noticeOf(empty.body), 'the name must not be empty');
    assert.equal((await server.store.findAccount(member))?.friendlyName, 'New%20Name');
  });

  test('grant and revoke the admin role', async () => {
    const member = `promoted-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD });
    assert.equal(noticeOf((await act(member, { action: 'grant-admin' })).body), `${member} is an administrator.`);
    const promoted = await signedInAs(member);
    assert.equal((await promoted.get('/admin/')).status, 200);
    await act(member, { action: 'revoke-admin' });
    assert.equal((await server.store.findAccount(member))?.admin, false);
    assert.equal((await promoted.get('/admin/')).status, 303);
  });

  test('delete needs the handle typed again; then the account is gone and its contact sees it leave', async () => {
    const member = `doomed-${++serial}@example.com`;
    const friend = `friend-${serial}@example.com`;
    await server.addUsers({ handle: member, password: PASSWORD }, { handle: friend, password: PASSWORD });
    const friendClient = track(await server.online(friend));
    await friendClient.add('FL', member);
    const refused = await act(member, { action: 'delete', confirm: 'someone-else@example.com' });
    assert.equal(refused.status, 400);
    assert.equal(noticeOf(refused.body), 'not deleted: type the handle again to confirm');
    assert.ok(await server.store.findAccount(member));
    const deleted = await act(member, { action: 'delete', confirm: member });
    assert.equal(noticeOf(deleted.body), `${member} is deleted (not signed in).`);
    assert.equal(await server.store.findAccount(member), undefined);
    const rem = await friendClient.conn.next((r) => r.name === 'REM' && r.args.includes(member));
    assert.equal(rem.args[0], '0');
    assert.equal((await lastAudit()).action, 'delete');
  });

  test('a form without the CSRF token changes nothing; an unknown action is refused', async () => {
    const member = `safe-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD });
    const forged = await browser.post('/admin/account', { handle: member, action: 'disable' });
    assert.equal(forged.status, 403);
    assert.equal((await server.store.findAccount(member))?.disabled, false);
    const unknown = await act(member, { action: 'explode' });
    assert.equal(unknown.status, 400);
    assert.equal(noticeOf(unknown.body), 'unknown action');
  });
});

describe('alerts, outbox and audit log', () => {
  let admin: string;
  let browser: Browser;
  before(async () => {
    admin = await newAdmin();
    browser = await signedInAs(admin);
  });

  test('an alert reaches a signed-in member as NOT and is audited; bad input is refused', async () => {
    const member = `alerted-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD });
    const client = track(await server.online(member));
    const sent = await browser.submit('/admin/alert', '/admin/alert', { to: member, text: 'Maintenance at 22:00 & later', url: '' });
    assert.match(noticeOf(sent.body) ?? '', /^Alert \d+ is queued for 1 account\(s\)\.$/);
    const not = await client.conn.next('NOT', 5000);
    assert.match(not.payload?.toString() ?? '', /Maintenance at 22:00 &amp; later/);
    const entries = await auditOf(`web:${admin}`);
    assert.equal(entries.at(-1)?.action, 'alert');
    assert.equal(entries.at(-1)?.target, member);

    const both = await browser.submit('/admin/alert', '/admin/alert', { to: member, everyone: 'Y', text: 'x' });
    assert.equal(both.status, 400);
    const empty = await browser.submit('/admin/alert', '/admin/alert', { to: member, text: '   ' });
    assert.equal(empty.status, 400);
    assert.equal(noticeOf(empty.body), 'Not sent: the alert text is empty.');
    const badUrl = await browser.submit('/admin/alert', '/admin/alert', { to: member, text: 'x', url: 'javascript:alert(1)' });
    assert.equal(badUrl.status, 400);
    const unknown = await browser.submit('/admin/alert', '/admin/alert', { to: 'ghost@example.com', text: 'x' });
    assert.equal(unknown.status, 400);
    await client.conn.expectNothing('NOT', 300);

    const accounts = (await server.store.listAccounts()).length;
    const everyone = await browser.submit('/admin/alert', '/admin/alert', { everyone: 'Y', text: 'Hello everyone' });
    assert.match(noticeOf(everyone.body) ?? '', new RegExp(`queued for ${accounts} account\\(s\\)`));
    assert.match((await client.conn.next('NOT', 5000)).payload?.toString() ?? '', /Hello everyone/);
    assert.equal((await auditOf(`web:${admin}`)).at(-1)?.target, 'all');
  });

  test('the outbox lists failed deliveries with their last error; retry delivers, drop removes', async () => {
    const store = server.store;
    const failing = async (recipient: string) => {
      // Queued as due in an hour, so that the worker does not take it before it is marked given up
      // with the error a refusing mail server leaves (as the worker records it).
      const id = await store.enqueueOutbox(
        { kind: 'email', recipient, sender: 'someone@example.com', subject: `to ${recipient}`, body: 'hi', callback: '' },
        Date.now() + 3_600_000,
      );
      await store.markOutboxFailed(id, '550 <mailbox> unavailable', null);
      return id;
    };
    const retried = await failing(`retry-${++serial}@example.net`);
    const dropped = await failing(`drop-${serial}@example.net`);
    const page = await browser.get('/admin/outbox');
    assert.match(page.body, /550 &lt;mailbox&gt; unavailable/);
    assert.match(page.body, new RegExp(`id="retry-${retried}"`));
    const dashboard = await browser.get('/admin/');
    assert.match(dashboard.body, /<td id="outbox-failed">[1-9]\d*<\/td>/);

    const retry = await browser.submit('/admin/outbox', '/admin/outbox', { id: String(retried), action: 'retry' });
    assert.equal(noticeOf(retry.body), `Item ${retried} will be tried again now.`);
    const drop = await browser.submit('/admin/outbox', '/admin/outbox', { id: String(dropped), action: 'drop' });
    assert.equal(noticeOf(drop.body), `Item ${dropped} is dropped.`);
    assert.equal(await store.outboxItem(dropped), undefined);
    for (;;) {
      const item = await store.outboxItem(retried);
      if (item?.sentAt) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const again = await browser.submit('/admin/outbox', '/admin/outbox', { id: String(dropped), action: 'drop' });
    assert.equal(again.status, 400);
    assert.equal(noticeOf(again.body), `no undelivered outbox item ${dropped}.`);
    const actions = (await auditOf(`web:${admin}`)).map((e) => e.action);
    assert.ok(actions.includes('outbox-retry') && actions.includes('outbox-drop'));
  });

  test('the audit log page shows the console actions, newest first, escaped', async () => {
    const member = `audited-${++serial}@example.com`;
    await server.addUser({ handle: member, password: PASSWORD });
    await browser.submit(`/admin/account?handle=${member}`, '/admin/account', { handle: member, action: 'disable', reason: '<b>bold</b>' });
    const page = await browser.get('/admin/audit');
    assert.equal(page.status, 200);
    const firstRow = /<tr><td>[^<]+<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]*)<\/td><\/tr>/.exec(page.body);
    assert.deepEqual(firstRow?.slice(1), [`web:${admin}`, 'disable', member, '&lt;b&gt;bold&lt;/b&gt;']);
  });
});
