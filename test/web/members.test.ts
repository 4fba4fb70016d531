/**
 * A member's own pages from a plain browser, over real HTTP on loopback with a real msnd, real MSNP
 * clients and a real SMTP listener: /signin (handle and messenger password, CSRF-protected, the
 * failed-login lockout of the MSNP login per address and per account), /forgot and /reset (a
 * signed, one-use, expiring link through the outbox; the reset ends the live MSNP session and the
 * browsers' sessions), /account/delete, the greeting, and the security headers of every page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { LoginError } from '../../src/client/errors.ts';
import { decodeBody, SmtpCatcher } from '../helpers/mailbox.ts';
import { TestMsnd } from '../helpers/msnd.ts';
import { storedContacts } from '../helpers/stored-lists.ts';
import { csrfToken, WebAgent, type AgentAnswer } from '../helpers/web-agent.ts';
import { formToken, hiddenForm, httpPostForm, linkIn, noticeOf, requestUrl, sessionCookie, webBase } from '../helpers/web.ts';

let smtp: SmtpCatcher;
let server: TestMsnd;
let base: string;
let run = 0;
const opened: MsnClient[] = [];

before(async () => {
  smtp = await SmtpCatcher.start();
  server = await TestMsnd.start({
    smtp: smtp.url,
    limits: { outboxPollMs: 200, webResetMails: 1000, failedLoginsPerAddress: 1000, failedLoginsPerAccount: 1000 },
  });
  base = webBase(server);
});
after(async () => {
  for (const client of opened) client.close();
  await server?.stop();
  await smtp?.close();
});

interface Account {
  handle: string;
  password: string;
}

/** A fresh account: `ann` → ann<n>@example.com with password pw-ann<n>. */
async function account(name: string, display?: string, on = server): Promise<Account> {
  const handle = `${name}${++run}@example.com`;
  const password = `pw-${name}${run}`;
  await on.addUser({ handle, password, ...(display && { name: display }) });
  return { handle, password };
}

async function online(on: TestMsnd, who: Account): Promise<MsnClient> {
  const client = await on.login(who.handle, { password: who.password });
  opened.push(client);
  return client;
}

/** A browser signed in through /signin. */
async function signedIn(who: Account, on = server): Promise<WebAgent> {
  const agent = new WebAgent(webBase(on));
  const answer = await agent.submit('/signin', '/signin', { handle: who.handle, password: who.password });
  assert.equal(answer.status, 303, noticeOf(answer.body));
  return agent;
}

/** Asks /forgot for a link and returns the e-mailed one. */
async function resetLink(who: Account): Promise<string> {
  const mailsTo = () => smtp.messages.filter((m) => m.to.includes(who.handle));
  const before = mailsTo().length;
  const answer = await new WebAgent(base).submit('/forgot', '/forgot', { handle: who.handle });
  assert.equal(answer.status, 200);
  await smtp.waitFor(who.handle, () => mailsTo().length > before);
  return linkIn(mailsTo().at(-1)!.text, '/reset?token=');
}

function assertRefusedSignin(answer: AgentAnswer): void {
  assert.equal(answer.status, 401);
  assert.equal(noticeOf(answer.body), 'The e-mail address or the password is not correct.');
  assert.equal(sessionCookie(answer.setCookie), undefined, 'nobody is signed in');
}

describe('security headers', () => {
  const expectSecure = (answer: AgentAnswer, path: string): void => {
    assert.equal(answer.headers['x-frame-options'], 'DENY', path);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff', path);
    assert.equal(answer.headers['referrer-policy'], 'same-origin', path);
    const csp = String(answer.headers['content-security-policy']);
    for (const directive of ["default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"]) {
      assert.ok(csp.includes(directive), `${path}: ${directive} in ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe/, path);
    assert.equal(answer.headers['strict-transport-security'], undefined, 'no HSTS on a plain-http service');
    if (String(answer.contentType).startsWith('text/html')) {
      assert.doesNotMatch(answer.body, /<style|style=|<script|\son\w+=/i, `${path}: nothing inline that the CSP would block`);
    }
  };

  test('every page, signed in or not, found or not, sends anti-framing, nosniff, a CSP and a referrer policy', async () => {
    const visitor = new WebAgent(base);
    for (const path of [
      '/',
      '/signin',
      '/forgot',
      '/signup',
      '/download',
      '/password',
      '/reset?token=x',
      '/nowhere',
      '/msnd.css',
      '/healthz',
    ]) {
      expectSecure(await visitor.get(path), path);
    }
    expectSecure(await visitor.post('/signin', { handle: 'x@example.com', password: 'y' }), 'POST /signin without CSRF token');
    const member = await signedIn(await account('hal'));
    for (const path of ['/', '/password', '/person', '/profile', '/account/delete', '/mobile/setup']) {
      const answer = await member.get(path);
      assert.equal(answer.status, 200, path);
      expectSecure(answer, path);
    }
  });

  test("the client's URL auto-login POST needs no CSRF token, and its pages then work", async () => {
    const who = await account('ida');
    const client = await online(server, who);
    const target = await requestUrl(client, 'PASSWORD');
    const answer = await httpPostForm(`${base}/md5auth`, hiddenForm(client, who.password, target));
    assert.equal(answer.status, 302);
    assert.equal(answer.location, '/password');
    const page = await fetch(`${base}/password`, { headers: { cookie: sessionCookie(answer.setCookie)! } });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    // The form the client's browser then posts: the session's form token, no CSRF cookie.
    const change = await httpPostForm(
      `${base}/password`,
      { form_token: formToken(await page.text()), old: who.password, new: 'renewed-1', confirm: 'renewed-1' },
      sessionCookie(answer.setCookie),
    );
    assert.equal(change.status, 200);
    assert.equal(await server.store.secretOf(who.handle), 'renewed-1');
  });
});

describe('/signin', () => {
  test('signs a member in with handle and password; member pages work; the home page greets by friendly name', async () => {
    const who = await account('zoe', 'Zoë <Z> Z');
    const agent = new WebAgent(base);
    assert.equal((await agent.get('/password')).status, 401);
    assert.match((await agent.get('/password')).body, /href="\/signin\?next=%2Fpassword"/);
    const answer = await agent.submit('/signin', '/signin', { handle: who.handle.toUpperCase(), password: who.password });
    assert.equal(answer.status, 303);
    assert.equal(answer.location, '/');
    const line = answer.setCookie.find((c) => c.startsWith('msnd_web='))!;
    assert.match(line, /HttpOnly/);
    assert.match(line, /SameSite=Lax/);
    const home = await agent.get('/');
    assert.match(home.body, /<p id="greeting">Welcome, Zoë &lt;Z&gt; Z!<\/p>/);
    for (const path of ['/password', '/person', '/profile', '/mobile/setup', '/account/delete']) {
      assert.equal((await agent.get(path)).status, 200, path);
    }
    assert.equal((await agent.get('/signin')).status, 303, 'a signed-in browser is sent on');
    const signOut = await agent.get('/signout');
    assert.equal((await agent.get('/password')).status, 200, 'the GET only asks');
    assert.equal((await agent.post('/signout', { form_token: formToken(signOut.body) })).status, 200);
    assert.equal((await agent.get('/password')).status, 401);
  });

  test('an unknown handle and a wrong password get the same answer and sign nobody in', async () => {
    const who = await account('una');
    const wrong = await new WebAgent(base).submit('/signin', '/signin', { handle: who.handle, password: 'not-it' });
    const unknown = await new WebAgent(base).submit('/signin', '/signin', { handle: 'nobody-here@example.com', password: 'not-it' });
    const notHandle = await new WebAgent(base).submit('/signin', '/signin', { handle: 'not a handle', password: 'x' });
    const empty = await new WebAgent(base).submit('/signin', '/signin', {});
    for (const answer of [wrong, unknown, notHandle, empty]) assertRefusedSignin(answer);
    const strip = (answer: AgentAnswer, typed: string) =>
      answer.body.replace(csrfToken(answer.body), 'TOKEN').replace(`value="${typed}"`, 'value="TYPED"');
    assert.equal(strip(wrong, who.handle), strip(unknown, 'nobody-here@example.com'));
  });

  test('a POST without the CSRF token of its own browser signs nobody in (403)', async () => {
    const who = await account('cid');
    const fields = { handle: who.handle, password: who.password };
    const attacker = new WebAgent(base);
    const attackersToken = csrfToken((await attacker.get('/signin')).body);
    const victim = new WebAgent(base);
    await victim.get('/signin');
    const cases: [string, WebAgent, Record<string, string>][] = [
      ['no token', victim, fields],
      ['a forged token', victim, { ...fields, _csrf: 'x'.repeat(40) }],
      ["another browser's token", victim, { ...fields, _csrf: attackersToken }],
      ['a token without its cookie', new WebAgent(base), { ...fields, _csrf: attackersToken }],
    ];
    for (const [what, agent, form] of cases) {
      const answer = await agent.post('/signin', form);
      assert.equal(answer.status, 403, what);
      assert.match(answer.body, /This form has expired/, what);
      assert.equal(sessionCookie(answer.setCookie), undefined, what);
    }
    for (const path of ['/forgot', '/reset']) {
      const answer = await victim.post(path, { handle: who.handle, token: 'x', new: 'abcdef1', confirm: 'abcdef1' });
      assert.equal(answer.status, 403, path);
    }
  });

  test('next leads back to the page that asked, and never to another site', async () => {
    const who = await account('ned');
    const cases: [string, string][] = [
      ['/password', '/password'],
      ['/mobile/setup?x=1', '/mobile/setup?x=1'],
      ['//evil.example/', '/'],
      ['http://evil.example/', '/'],
      ['/\\evil.example', '/'],
      ['javascript:alert(1)', '/'],
    ];
    for (const [next, expected] of cases) {
      const agent = new WebAgent(base);
      const query = `/signin?${new URLSearchParams({ next })}`;
      const answer = await agent.submit(query, '/signin', { handle: who.handle, password: who.password, next });
      assert.equal(answer.status, 303, next);
      assert.equal(answer.location, expected, next);
    }
  });

  test('changing the password on /password signs out every other browser, not this one', async () => {
    const who = await account('pam');
    const here = await signedIn(who);
    const there = await signedIn(who);
    const form = await here.get('/password');
    const changed = await here.post('/password', {
      form_token: formToken(form.body),
      old: who.password,
      new: 'changed-1',
      confirm: 'changed-1',
    });
    assert.equal(changed.status, 200);
    assert.equal((await there.get('/password')).status, 401, 'the other browser is signed out');
    const again = await here.get('/password');
    assert.equal(again.status, 200, 'this browser stays signed in');
    const once = await here.post('/password', {
      form_token: formToken(changed.body),
      old: 'changed-1',
      new: 'changed-2',
      confirm: 'changed-2',
    });
    assert.equal(once.status, 200, 'the form of the answer page carries the new form token');
  });
});

describe('/forgot and /reset', () => {
  test('the answer is the same with and without an account; only an account gets the mail', async () => {
    const who = await account('amy');
    const ghost = `ghost${++run}@example.com`;
    const forGhost = await new WebAgent(base).submit('/forgot', '/forgot', { handle: ghost });
    const forAmy = await new WebAgent(base).submit('/forgot', '/forgot', { handle: who.handle });
    assert.equal(forGhost.status, 200);
    assert.equal(forAmy.status, 200);
    assert.equal(forGhost.body.replace(ghost, 'X'), forAmy.body.replace(who.handle, 'X'));
    const mail = await smtp.waitFor(who.handle, (text) => text.includes('/reset?token='));
    assert.match(mail.parsed.subject ?? '', /Reset your MSN Messenger password/);
    assert.ok(!smtp.messages.some((m) => m.to.includes(ghost)), 'no mail to an address without an account');
    const bad = await new WebAgent(base).submit('/forgot', '/forgot', { handle: 'not an address' });
    assert.equal(bad.status, 400);
  });

  test('the link sets a new password once and ends the live MSNP session and every browser session', async () => {
    const who = await account('bob');
    const client = await online(server, who);
    const browser = await signedIn(who);
    const link = await resetLink(who);
    const token = new URL(link).searchParams.get('token')!;
    const agent = new WebAgent(base);
    const form = await agent.get(link);
    assert.equal(form.status, 200);
    const mismatch = await agent.post('/reset', { _csrf: csrfToken(form.body), token, new: 'brand-new-1', confirm: 'other-one' });
    assert.equal(mismatch.status, 400);
    assert.equal(await server.store.secretOf(who.handle), who.password, 'nothing changed, the link still works');
    const ended = client.conn.next('OUT');
    const done = await agent.post('/reset', { _csrf: csrfToken(mismatch.body), token, new: 'brand-new-1', confirm: 'brand-new-1' });
    assert.equal(done.status, 200);
    assert.match(done.body, /<p id="changed">/);
    assert.equal((await ended).line, 'OUT OTH');
    assert.equal(await server.store.secretOf(who.handle), 'brand-new-1');
    assert.equal((await browser.get('/password')).status, 401, "the browser's session ended");
    await assert.rejects(online(server, who), (e: unknown) => e instanceof LoginError && e.code === 911);
    await online(server, { handle: who.handle, password: 'brand-new-1' });
    const reopened = await agent.get(link);
    assert.equal(reopened.status, 400, 'a used link is not valid');
    const reused = await agent.post('/reset', {
      _csrf: csrfToken((await agent.get('/forgot')).body),
      token,
      new: 'again-1',
      confirm: 'again-1',
    });
    assert.equal(reused.status, 400);
    assert.equal(await server.store.secretOf(who.handle), 'brand-new-1');
  });

  test('setting the same password again does not make the link usable twice', async () => {
    const who = await account('sam');
    const link = await resetLink(who);
    const token = new URL(link).searchParams.get('token')!;
    const agent = new WebAgent(base);
    const form = await agent.get(link);
    const same = { _csrf: csrfToken(form.body), token, new: who.password, confirm: who.password };
    assert.equal((await agent.post('/reset', same)).status, 200);
    assert.equal((await agent.post('/reset', same)).status, 400, 'the one-use token is spent');
  });

  test('tampered, forged and malformed links change nothing; a second link dies when the first is used', async () => {
    const who = await account('tia');
    const first = await resetLink(who);
    const second = await resetLink(who);
    const token = new URL(first).searchParams.get('token')!;
    const [fields = '', expiry = '', mac = ''] = token.split('.');
    const otherFields = Buffer.from(Buffer.from(fields, 'base64url').toString().replace(/^\d+/, '1')).toString('base64url');
    const forged = [
      `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      `${otherFields}.${expiry}.${mac}`,
      `${fields}.${Number(expiry) + 3600}.${mac}`,
      '',
      'abc',
      `MQ.9999999999.${'A'.repeat(43)}`,
    ];
    const agent = new WebAgent(base);
    for (const bad of forged) {
      assert.equal((await agent.get(`/reset?token=${encodeURIComponent(bad)}`)).status, 400, bad);
      const csrf = csrfToken((await agent.get('/forgot')).body);
      assert.equal((await agent.post('/reset', { _csrf: csrf, token: bad, new: 'hacked-1', confirm: 'hacked-1' })).status, 400, bad);
    }
    assert.equal(await server.store.secretOf(who.handle), who.password);
    const form = await agent.get(first);
    const token1 = new URL(first).searchParams.get('token')!;
    assert.equal(
      (await agent.post('/reset', { _csrf: csrfToken(form.body), token: token1, new: 'fresh-pw-1', confirm: 'fresh-pw-1' })).status,
      200,
    );
    assert.equal((await agent.get(second)).status, 400, 'the password changed: the older link is dead');
  });

  test('an expired link changes nothing', async () => {
    // Expiry times are whole seconds: a link of 5 s lasts at least 4, which the e-mail and the first
    // GET must fit in on a busy machine (1.5 s, as little as 0.5, did not always), and at most 6.
    const short = await TestMsnd.start({ smtp: smtp.url, limits: { outboxPollMs: 200, resetLinkMs: 5000 } });
    try {
      const who = await account('eve', undefined, short);
      const agent = new WebAgent(webBase(short));
      assert.equal((await agent.submit('/forgot', '/forgot', { handle: who.handle })).status, 200);
      const mail = await smtp.waitFor(who.handle, (text) => text.includes('/reset?token='));
      const link = linkIn(mail.text, '/reset?token=');
      const form = await agent.get(link);
      assert.equal(form.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 6100));
      assert.equal((await agent.get(link)).status, 400);
      const token = new URL(link).searchParams.get('token')!;
      const late = await agent.post('/reset', { _csrf: csrfToken(form.body), token, new: 'too-late-1', confirm: 'too-late-1' });
      assert.equal(late.status, 400);
      assert.equal(await short.store.secretOf(who.handle), who.password);
    } finally {
      await short.stop();
    }
  });
});

describe('/account/delete', () => {
  test('with the password: the account is gone from every list, its sessions end, watchers see it go', async () => {
    const gone = await account('del', 'Del');
    const friend = await account('fay');
    const goneClient = await online(server, gone);
    const friendClient = await online(server, friend);
    await goneClient.sync(0);
    await friendClient.sync(0);
    await friendClient.changeStatus('NLN');
    await friendClient.add('FL', gone.handle);
    await goneClient.changeStatus('NLN');
    await friendClient.conn.next((r) => r.name === 'NLN' && r.args[1] === gone.handle);
    const agent = await signedIn(gone);
    const form = await agent.get('/account/delete');
    const token = formToken(form.body);

    const noToken = await agent.post('/account/delete', { password: gone.password });
    assert.equal(noToken.status, 403);
    const wrong = await agent.post('/account/delete', { form_token: token, password: 'not-it' });
    assert.equal(wrong.status, 401);
    assert.equal(noticeOf(wrong.body), 'The password is not correct.');
    assert.ok(await server.store.findAccount(gone.handle), 'still there');

    const out = goneClient.conn.next('OUT', 10_000);
    const offline = friendClient.conn.next((r) => r.name === 'FLN' && r.args[0] === gone.handle, 10_000);
    const done = await agent.post('/account/delete', { form_token: token, password: gone.password });
    assert.equal(done.status, 200);
    assert.match(done.body, /<p id="deleted">/);
    // As `msnd user del`: the server's own end (plain OUT), then REM 0 to each list owner (MSNP5.md 9.9).
    assert.equal((await out).line, 'OUT');
    await offline;
    assert.match((await friendClient.conn.next('REM', 10_000)).line, new RegExp(`^REM 0 FL \\d+ ${gone.handle}$`));
    assert.equal(await server.store.findAccount(gone.handle), undefined);
    assert.equal((await storedContacts(server, friend.handle)).has(gone.handle), false, "gone from the friend's lists");
    assert.equal((await agent.get('/password')).status, 401);
    await assert.rejects(online(server, gone), (e: unknown) => e instanceof LoginError && e.code === 911);
    await server.addUser({ handle: gone.handle, password: 'reborn-1' });
    assert.ok(await server.store.findAccount(gone.handle), 'the handle is free again');
  });

  test('needs a signed-in browser', async () => {
    const visitor = new WebAgent(base);
    assert.equal((await visitor.get('/account/delete')).status, 401);
    assert.equal((await visitor.post('/account/delete', { password: 'x' })).status, 401);
  });
});

describe('rate limits', () => {
  let limited: TestMsnd;
  before(async () => {
    limited = await TestMsnd.start({
      smtp: smtp.url,
      limits: {
        outboxPollMs: 200,
        webResetMails: 2,
        failedLoginsPerAddressAndAccount: 3,
        failedLoginsPerAccount: 5,
        failedLoginsPerAddress: 8,
        failedLoginWindowMs: 600_000,
      },
    });
  });
  after(() => limited?.stop());

  const from = (address: string) => new WebAgent(webBase(limited), address);
  const attempt = (address: string, handle: string, password: string) => from(address).submit('/signin', '/signin', { handle, password });

  test('per address and account: a locked-out pair is refused even with the right password; another address is not', async () => {
    const who = await account('lou', undefined, limited);
    for (let i = 0; i < 3; i++) assertRefusedSignin(await attempt('127.0.0.2', who.handle, 'guess'));
    const locked = await attempt('127.0.0.2', who.handle, who.password);
    assert.equal(locked.status, 429);
    assert.equal(sessionCookie(locked.setCookie), undefined);
    assert.equal((await attempt('127.0.0.3', who.handle, who.password)).status, 303);
  });

  test('per account, on the web and in Messenger alike; an unknown handle locks alike', async () => {
    const who = await account('kim', undefined, limited);
    const ghost = `ghost${++run}@example.com`;
    for (const handle of [who.handle, ghost]) {
      for (let i = 0; i < 5; i++) assertRefusedSignin(await attempt(`127.0.1.${i + 1}`, handle, 'guess'));
      assert.equal((await attempt('127.0.1.9', handle, 'guess')).status, 429, handle);
    }
    assert.equal((await attempt('127.0.1.9', who.handle, who.password)).status, 429);
    await assert.rejects(limited.login(who.handle, { password: who.password }), (e: unknown) => e instanceof LoginError && e.code === 911);
  });

  test('per address, across accounts', async () => {
    const other = await account('max', undefined, limited);
    for (let i = 0; i < 8; i++) assertRefusedSignin(await attempt('127.0.2.1', `nobody${i}-${run}@example.com`, 'guess'));
    assert.equal((await attempt('127.0.2.1', other.handle, other.password)).status, 429);
    assert.equal((await attempt('127.0.2.2', other.handle, other.password)).status, 303);
  });

  test('reset mails per address and per account, alike with and without an account', async () => {
    const who = await account('rae', undefined, limited);
    const ghost = `ghost${++run}@example.com`;
    const ask = (address: string, handle: string) => from(address).submit('/forgot', '/forgot', { handle });
    for (const [address, handle] of [
      ['127.0.3.1', who.handle],
      ['127.0.3.2', ghost],
    ] as const) {
      assert.equal((await ask(address, handle)).status, 200);
      assert.equal((await ask(address, handle)).status, 200);
      const refused = await ask(address, handle);
      assert.equal(refused.status, 429, handle);
      assert.equal(noticeOf(refused.body), 'Too many requests. Please try again later.');
      assert.equal((await ask('127.0.3.3', handle)).status, 429, `${handle}: per account, from any address`);
    }
    assert.equal((await ask('127.0.3.1', `third${run}@example.com`)).status, 429, 'per address, for any account');
    const mails = () => smtp.messages.filter((m) => m.to.includes(who.handle));
    await smtp.waitFor(who.handle, () => mails().length >= 2);
    assert.ok(mails().every((m) => decodeBody(m.text).includes('/reset?token=')));
    assert.ok(!smtp.messages.some((m) => m.to.includes(ghost)), 'no mail to an address without an account');
  });
});

describe('behind a reverse proxy (trustProxy)', () => {
  let proxied: TestMsnd;
  const limits = {
    failedLoginsPerAddressAndAccount: 3,
    failedLoginsPerAccount: 50,
    failedLoginsPerAddress: 50,
    failedLoginWindowMs: 600_000,
  };
  before(async () => {
    proxied = await TestMsnd.start({ trustProxy: ['127.0.0.1', '127.0.0.5'], limits });
  });
  after(() => proxied?.stop());

  /** A sign-in through a proxy at `proxy` for the client `client` (its X-Forwarded-For). */
  const attempt = (server: TestMsnd, proxy: string, client: string, handle: string, password: string) =>
    new WebAgent(webBase(server), proxy, { 'x-forwarded-for': client }).submit('/signin', '/signin', { handle, password });

  test('a trusted proxy: the lockout counts the client its X-Forwarded-For names, not the proxy', async () => {
    const who = await account('pia', undefined, proxied);
    for (let i = 0; i < 3; i++) assertRefusedSignin(await attempt(proxied, '127.0.0.5', '198.51.100.7', who.handle, 'guess'));
    assert.equal((await attempt(proxied, '127.0.0.5', '198.51.100.7', who.handle, who.password)).status, 429);
    assert.equal(
      (await attempt(proxied, '127.0.0.5', '198.51.100.8', who.handle, who.password)).status,
      303,
      'another client behind the proxy',
    );
  });

  test('a forwarded "address" that is not one counts as the proxy itself, whatever it is', async () => {
    const who = await account('pam', undefined, proxied);
    const junk = ['garbage', 'x y z', 'a'.repeat(5000), '::ffff:zz'];
    for (const client of junk.slice(0, 3)) assertRefusedSignin(await attempt(proxied, '127.0.0.5', client, who.handle, 'guess'));
    // All three counted against 127.0.0.5 (the connection), so a fourth text is locked out with them.
    assert.equal((await attempt(proxied, '127.0.0.5', junk[3]!, who.handle, who.password)).status, 429);
    assert.equal((await attempt(proxied, '127.0.0.5', '198.51.100.30', who.handle, who.password)).status, 303);
  });

  test('a peer that is not a trusted proxy cannot choose its address with X-Forwarded-For', async () => {
    const who = await account('pol', undefined, proxied);
    for (let i = 0; i < 3; i++) assertRefusedSignin(await attempt(proxied, '127.0.0.6', `198.51.100.${10 + i}`, who.handle, 'guess'));
    assert.equal((await attempt(proxied, '127.0.0.6', '198.51.100.20', who.handle, who.password)).status, 429);
  });
});

describe('a service whose public address is https', () => {
  test('sends HSTS, and its CSRF cookie, like its session cookie, is Secure (on a plain-http service it is not)', async () => {
    const secure = await TestMsnd.start({ webUrl: 'https://messenger.example.test' });
    try {
      const visitor = new WebAgent(webBase(secure));
      const form = await visitor.get('/signin');
      assert.equal(form.headers['strict-transport-security'], 'max-age=31536000');
      const csrfCookie = form.setCookie.find((c) => c.startsWith('msnd_csrf='));
      assert.ok(csrfCookie, form.setCookie.join('\n'));
      assert.match(csrfCookie, /; Secure/);
      assert.match(csrfCookie, /HttpOnly/);
      const plain = await new WebAgent(base).get('/signin');
      const plainCookie = plain.setCookie.find((c) => c.startsWith('msnd_csrf='));
      assert.doesNotMatch(plainCookie ?? '', /Secure/, 'a plain-http service must keep its forms working');
      assert.ok(plainCookie);
    } finally {
      await secure.stop();
    }
  });
});
