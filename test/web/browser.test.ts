/**
 * The web pages in real headless Chromium (Debian's package, through playwright-core), with a real
 * msnd, real MSNP clients and a real SMTP listener on loopback: sign up and verify by the e-mailed
 * link (924 before, MSNP5.md 6.4), sign in through a URL token (9.16) as the client's hidden form
 * does, change the password (then MD5 login with the new one, 911 with the old), and set up
 * phones on the mobile pages while a watching client receives the BPR lines (9.14, 9.15).
 *
 * Without /usr/bin/chromium the tests are skipped with that reason, except under CI (CI set),
 * where .ci/run installs it and its absence fails the run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { MsnClient } from '../../src/client/client.ts';
import { LoginError } from '../../src/client/errors.ts';
import { SmtpCatcher } from '../helpers/mailbox.ts';
import { TestMsnd } from '../helpers/msnd.ts';
import { autoSubmitPage, chromiumMissing, hiddenForm, launchChromium, linkIn, requestUrl, webBase } from '../helpers/web.ts';

const skip = chromiumMissing();

describe('the web in headless Chromium', { skip }, () => {
  let server: TestMsnd;
  let smtp: SmtpCatcher;
  let browser: Browser;
  let base: string;
  const opened: MsnClient[] = [];

  before(async () => {
    smtp = await SmtpCatcher.start();
    server = await TestMsnd.start({ requireVerified: true, smtp: smtp.url, limits: { outboxPollMs: 200 } });
    base = webBase(server);
    browser = await launchChromium();
  });
  after(async () => {
    for (const client of opened) client.close();
    await browser?.close();
    await server?.stop();
    await smtp?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    return context.newPage();
  }

  async function login(handle: string, password?: string): Promise<MsnClient> {
    const client = await server.login(handle, password === undefined ? {} : { password });
    opened.push(client);
    return client;
  }

  /** The client asks URL for a service; Chromium opens the self-submitting hidden form. */
  async function openService(page: Page, client: MsnClient, password: string, service: string): Promise<void> {
    const target = await requestUrl(client, service);
    assert.ok(target.loginUrl.startsWith(`${base}/md5auth`), `URL ${service} names msnd's login page`);
    const file = await autoSubmitPage(target.loginUrl, hiddenForm(client, password, target));
    await page.goto(file);
    await page.waitForURL((url) => url.href.startsWith(base) && !url.pathname.startsWith('/md5auth'));
  }

  test('sign up, 924 until verified, verify by the e-mailed link, then sign in', async () => {
    const page = await newPage();
    await page.goto(`${base}/signup`);
    await page.fill('#handle', 'newbie@example.com');
    await page.fill('#password', 'secret-123');
    await page.fill('#confirm', 'secret-123');
    await page.fill('#name', 'New Bie');
    await page.click('#signup');
    assert.match((await page.textContent('#sent')) ?? '', /newbie@example\.com/);
    await assert.rejects(
      server.login('newbie@example.com', { password: 'secret-123' }),
      (e: unknown) => e instanceof LoginError && e.code === 924,
    );
    const mail = await smtp.waitFor('newbie@example.com', (text) => text.includes('/verify?token='));
    await page.goto(linkIn(mail.text, '/verify?token='));
    assert.match((await page.textContent('#verified')) ?? '', /newbie@example\.com is verified/);
    const client = await login('newbie@example.com', 'secret-123');
    assert.equal(client.friendlyName, 'New%20Bie');
  });

  test('URL PASSWORD signs the browser in; the new password works at MD5 login, the old gets 911', async () => {
    await server.addUser({ handle: 'alice@example.com', password: 'old-secret' });
    const client = await login('alice@example.com');
    const page = await newPage();
    await openService(page, client, 'old-secret', 'PASSWORD');
    assert.equal(new URL(page.url()).pathname, '/password');
    await page.fill('#old', 'old-secret');
    await page.fill('#new', 'new-secret');
    await page.fill('#confirm', 'new-secret');
    await page.click('#save');
    assert.match((await page.textContent('#notice')) ?? '', /has been changed/);
    await login('alice@example.com', 'new-secret');
    await assert.rejects(
      server.login('alice@example.com', { password: 'old-secret' }),
      (e: unknown) => e instanceof LoginError && e.code === 911,
    );
  });

  test('URL MOBILE and CHGMOB: phones set in the browser reach a watching client as BPR', async () => {
    await server.addUsers({ handle: 'carol@example.com', password: 'carol-pw' }, { handle: 'dave@example.com', password: 'dave-pw' });
    const dave = await server.online('dave@example.com');
    opened.push(dave);
    await dave.add('FL', 'carol@example.com');
    dave.conn.drain();
    const carol = await login('carol@example.com');
    const page = await newPage();

    await openService(page, carol, 'carol-pw', 'MOBILE');
    assert.equal(new URL(page.url()).pathname, '/mobile/setup');
    let v = dave.version;
    await page.fill('#PHM', '1 (555) 0143');
    await page.check('#MOB');
    await page.click('#save');
    assert.equal(await page.textContent('#notice'), 'MSN Mobile is set up.');
    assert.equal((await dave.conn.next('BPR')).line, `BPR ${v + 1} carol@example.com PHM 1%20(555)%200143`);
    assert.equal((await dave.conn.next('BPR')).line, `BPR ${v + 2} carol@example.com MOB Y`);
    const shot = process.env.MSND_WEB_SCREENSHOT;
    if (shot) await page.screenshot({ path: shot, fullPage: true });

    await openService(page, carol, 'carol-pw', 'CHGMOB');
    assert.equal(new URL(page.url()).pathname, '/mobile/settings');
    assert.equal(await page.inputValue('#PHM'), '1 (555) 0143');
    v = dave.version;
    await page.fill('#PHH', '555 0100');
    await page.click('#save');
    assert.equal(await page.textContent('#notice'), 'Your settings are saved.');
    assert.equal((await dave.conn.next('BPR')).line, `BPR ${v + 1} carol@example.com PHH 555%200100`);
    await dave.conn.expectNothing('BPR', 200);
  });

  test('a hidden form with forged creds shows the sign-in failure page and signs nobody in', async () => {
    await server.addUser({ handle: 'erin@example.com', password: 'erin-pw' });
    const client = await login('erin@example.com');
    const target = await requestUrl(client, 'PASSWORD');
    const page = await newPage();
    await page.goto(await autoSubmitPage(target.loginUrl, hiddenForm(client, 'guessed-pw', target)));
    await page.waitForURL((url) => url.href.startsWith(base));
    assert.match((await page.textContent('h1')) ?? '', /Sign-in failed/);
    await page.goto(`${base}/password`);
    assert.match((await page.textContent('h1')) ?? '', /Sign-in required/);
    assert.deepEqual(await page.context().cookies(base), []);
  });
});
