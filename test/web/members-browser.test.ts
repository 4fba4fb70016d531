/**
 * A member's own pages in real headless Chromium (Debian's package, through playwright-core) with
 * a real msnd and a real SMTP listener: sign in from a plain browser, be greeted by name, change
 * the directory listing, sign out; a forgotten password reset by the e-mailed link; and the
 * security headers as the browser applies them: every page passes its content security policy
 * (no violation reported in the console) and no other site may frame a page.
 *
 * Without /usr/bin/chromium the tests are skipped with that reason, except under CI (CI set).
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { SmtpCatcher } from '../helpers/mailbox.ts';
import { TestMsnd } from '../helpers/msnd.ts';
import { chromiumMissing, launchChromium, linkIn, webBase } from '../helpers/web.ts';

const skip = chromiumMissing();

describe("a member's own pages in headless Chromium", { skip }, () => {
  let server: TestMsnd;
  let smtp: SmtpCatcher;
  let browser: Browser;
  let base: string;
  /** Console messages of every page, to find content security policy violations. */
  const messages: string[] = [];

  before(async () => {
    smtp = await SmtpCatcher.start();
    server = await TestMsnd.start({ smtp: smtp.url, limits: { outboxPollMs: 200 } });
    base = webBase(server);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await smtp?.close();
  });

  async function newPage(): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => messages.push(`pageerror: ${error.message}`));
    return page;
  }

  function assertNoViolations(): void {
    const violations = messages.filter((line) => /Content Security Policy|Refused to/i.test(line));
    assert.deepEqual(violations, [], 'no content security policy violations');
  }

  async function signIn(page: Page, handle: string, password: string): Promise<void> {
    await page.goto(base);
    await page.click('#signin');
    await page.fill('#handle', handle);
    await page.fill('#password', password);
    await page.click('#signin-button');
    await page.waitForSelector('#greeting');
  }

  test('sign in, be greeted by name, change the directory listing, sign out; the pages pass their CSP', async () => {
    await server.addUser({ handle: 'wendy@example.com', password: 'wendy-pw-1', name: 'Wendy Ö' });
    const page = await newPage();
    await page.goto(`${base}/profile`);
    assert.match((await page.textContent('h1')) ?? '', /Sign-in required/);
    await signIn(page, 'wendy@example.com', 'wendy-pw-1');
    assert.equal(await page.textContent('#greeting'), 'Welcome, Wendy Ö!');
    // The stylesheet is allowed by the policy and applied.
    const bar = await page.$eval('.bar', (element) => getComputedStyle(element).backgroundColor);
    assert.equal(bar, 'rgb(51, 102, 153)');

    await page.click('a[href="/profile"]');
    await page.check('#listed');
    await page.fill('#firstName', 'Wendy');
    await page.fill('#lastName', 'Walker');
    await page.click('#save');
    assert.equal(await page.textContent('#notice'), 'Saved. You are listed in the member directory.');
    const account = await server.store.findAccount('wendy@example.com');
    assert.equal((await server.store.directoryEntry(account!.id))?.lastName, 'Walker');
    const shot = process.env.MSND_WEB_SCREENSHOT;
    if (shot) await page.screenshot({ path: shot.replace(/(\.png)?$/, '-profile.png'), fullPage: true });

    for (const path of ['/person', '/password', '/account/delete', '/mobile/setup', '/forgot', '/download']) {
      await page.goto(`${base}${path}`);
    }
    await page.goto(base);
    await page.click('a[href="/signout"]');
    await page.click('#signout');
    await page.waitForSelector('#signed-out');
    assert.match((await page.textContent('h1')) ?? '', /Signed out/);
    await page.goto(`${base}/profile`);
    assert.match((await page.textContent('h1')) ?? '', /Sign-in required/);
    assertNoViolations();
  });

  test('a forgotten password is reset by the e-mailed link, then the new one signs in', async () => {
    await server.addUser({ handle: 'fred@example.com', password: 'fred-pw-1', name: 'Fred' });
    const page = await newPage();
    await page.goto(`${base}/signin`);
    await page.click('#forgot');
    await page.fill('#handle', 'fred@example.com');
    await page.click('#send');
    assert.match((await page.textContent('#sent')) ?? '', /fred@example\.com/);
    const mail = await smtp.waitFor('fred@example.com', (text) => text.includes('/reset?token='));
    await page.goto(linkIn(mail.text, '/reset?token='));
    await page.fill('#new', 'fred-pw-2');
    await page.fill('#confirm', 'fred-pw-2');
    await page.click('#save');
    assert.match((await page.textContent('#changed')) ?? '', /password has been changed/);
    await signIn(page, 'fred@example.com', 'fred-pw-2');
    assert.equal(await page.textContent('#greeting'), 'Welcome, Fred!');
    assertNoViolations();
  });

  test('no other site can show a page in a frame', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msnd-frame-'));
    const file = join(dir, 'frame.htm');
    await writeFile(file, `<html><body><iframe id="f" src="${base}/signin"></iframe></body></html>`);
    const page = await newPage();
    const refused = page.waitForEvent('console', (message) => /frame-ancestors|X-Frame-Options/i.test(message.text()));
    await page.goto(`file://${file}`);
    await refused;
    const frame = page.frames().find((f) => f !== page.mainFrame());
    assert.ok(frame, 'the frame exists');
    assert.equal(await frame.$('#signin-button'), null, 'the sign-in form is not shown inside the frame');
  });
});
