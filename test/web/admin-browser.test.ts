/**
 * The admin console in real headless Chromium (Debian's package, through playwright-core) against
 * a real msnd with real MSNP clients over TCP (issue 13 §2): an admin signs in, finds a member who
 * is signed in over MSNP and disables them (their session ends with OUT, MSNP5.md 9.26), sends an
 * alert to another member (their session gets the NOT, 9.21) and reads both in the audit log.
 * With MSND_WEB_SCREENSHOT=/tmp/page.png each console page is saved as /tmp/page-admin-<page>.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Admin } from '../../src/core/admin.ts';
import { PASSWORD, track, useMsnd } from '../helpers/msnd.ts';
import { chromiumMissing, launchChromium, webBase } from '../helpers/web.ts';

const skip = chromiumMissing();

async function screenshot(page: Page, name: string): Promise<void> {
  const shot = process.env.MSND_WEB_SCREENSHOT;
  if (shot) await page.screenshot({ path: shot.replace(/(\.png)?$/, `-admin-${name}.png`), fullPage: true });
}

describe('the admin console in headless Chromium', { skip }, () => {
  const server = useMsnd();
  let browser: Browser;
  let base: string;

  before(async () => {
    await server.ready();
    base = webBase(server);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('sign in, disable a member signed in over MSNP, alert another, read the audit log', async () => {
    const admin = 'root@example.com';
    const mallory = 'mallory@example.com';
    const bob = 'bob@example.com';
    await server.addUsers(
      { handle: admin, password: PASSWORD },
      { handle: mallory, password: PASSWORD, name: 'Mallory M' },
      { handle: bob, password: PASSWORD },
    );
    await new Admin(server.store, { actor: 'cli:test' }).grantAdmin(admin);
    const malloryClient = track(await server.online(mallory));
    const bobClient = track(await server.online(bob));

    const page = await (await browser.newContext()).newPage();
    await page.goto(`${base}/admin/`);
    assert.equal(new URL(page.url()).pathname, '/admin/signin');
    await screenshot(page, 'signin');
    await page.fill('#handle', admin);
    await page.fill('#password', PASSWORD);
    await page.click('#signin');
    await page.waitForURL(`${base}/admin/`);
    assert.equal(await page.textContent('h1'), 'Dashboard');
    assert.ok(Number(await page.textContent('#online')) >= 2, 'mallory and bob are online');
    await screenshot(page, 'dashboard');

    await page.click('text=Accounts');
    await page.fill('#q', 'mallory');
    await page.click('#find');
    await screenshot(page, 'accounts');
    await page.click(`a:text("${mallory}")`);
    assert.match((await page.textContent('#signed-in')) ?? '', /^yes, on node /);
    await screenshot(page, 'account');
    await page.fill('#reason', 'spam');
    await page.click('#disable');
    assert.match((await page.textContent('#notice')) ?? '', /is disabled; its session on node .+ ended\./);
    await malloryClient.conn.next((r) => r.name === 'OUT' && r.args.length === 0);
    assert.equal(await page.textContent('#disabled'), 'yes (spam)');

    await page.click('text=Send an alert');
    await page.fill('#to', bob);
    await page.fill('#text', 'The server restarts at 22:00.');
    await screenshot(page, 'alert');
    await page.click('#send');
    assert.match((await page.textContent('#notice')) ?? '', /queued for 1 account/);
    const not = await bobClient.conn.next('NOT', 5000);
    assert.match(not.payload?.toString() ?? '', /The server restarts at 22:00\./);

    await page.click('text=Outbox');
    assert.equal(await page.textContent('#outbox'), 'No failed deliveries.');
    await screenshot(page, 'outbox');

    await page.click('text=Audit log');
    const rows = await page.$$eval('#audit tr', (trs) =>
      trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    const actions = rows.map(([, who, what, target]) => `${who} ${what} ${target}`);
    assert.deepEqual(actions.slice(0, 3), [
      `web:${admin} alert ${bob}`,
      `web:${admin} disable ${mallory}`,
      `web:${admin} console-sign-in ${admin}`,
    ]);
    await screenshot(page, 'audit');

    await page.click('#signout');
    await page.waitForURL(`${base}/admin/signin`);
    await page.goto(`${base}/admin/audit`);
    assert.equal(new URL(page.url()).pathname, '/admin/signin');
  });
});
