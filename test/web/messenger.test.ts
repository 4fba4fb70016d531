/**
 * The web Messenger (/messenger) in real headless Chromium, with a real msnd and a scripted MSNP5
 * client over TCP: two members sign in in the browser (one on a phone-sized screen), see each
 * other's presence change, chat one-to-one both ways with the TCP client, hold a three-person
 * conversation, see typing, block someone with effect, and a name with markup is shown as text.
 * MSND_WEB_SCREENSHOT=path saves screenshots beside that path (messenger-desktop.png, messenger-phone.png).
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import type { MsnClient } from '../../src/client/client.ts';
import { decodeName } from '../../src/client/names.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import { TestMsnd } from '../helpers/msnd.ts';
import { chromiumMissing, launchChromium, webBase } from '../helpers/web.ts';

const skip = chromiumMissing();
const ANN = 'ann@example.com';
const BEN = 'ben@example.com';
const TOM = 'tom@example.com';
const PASSWORD = 'web-secret-1';
const MARKUP_NAME = '<b>Ann</b> & <img src=x onerror=alert(1)>';
const WAIT_MS = 30_000;

/** The next text message of a switchboard session (typing notifications pass by). */
async function nextText(session: SwitchboardSession): Promise<string> {
  for (;;) {
    const message = await session.nextMessage(WAIT_MS);
    if (message.contentType.startsWith('text/plain')) return message.body;
  }
}

const contact = (handle: string): string => `#contacts .contact[data-handle="${handle}"]`;

describe('the web Messenger in headless Chromium', { skip }, () => {
  let server: TestMsnd;
  let browser: Browser;
  let base: string;
  let ann: Page;
  let ben: Page;
  let tom: MsnClient;
  const sessions: SwitchboardSession[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    server = await TestMsnd.start();
    base = webBase(server);
    for (const handle of [ANN, BEN, TOM]) await server.addUser({ handle, password: PASSWORD, name: handle.split('@')[0]! });
    browser = await launchChromium();
    tom = await server.login(TOM, { dialects: ['MSNP5'] });
    await tom.sync(0);
    for (const handle of [ANN, BEN]) {
      await tom.add('FL', handle);
      await tom.add('AL', handle);
    }
    await tom.changeStatus('NLN');
  });
  after(async () => {
    for (const session of sessions) session.close();
    tom?.close();
    await browser?.close();
    await server?.stop();
  });

  async function open(viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      pageErrors.push(`a dialog opened: ${dialog.message()}`);
      void dialog.dismiss();
    });
    return page;
  }

  async function signIn(page: Page, handle: string): Promise<void> {
    await page.goto(`${base}/messenger`);
    await page.fill('#handle', handle);
    await page.fill('#password', PASSWORD);
    await page.click('#signin-button');
    await page.waitForSelector('#app', { state: 'visible' });
  }

  async function addContact(page: Page, handle: string): Promise<void> {
    await page.fill('#add-handle', handle);
    await page.click('#add-button');
    await page.waitForSelector(contact(handle));
  }

  async function status(page: Page, handle: string, code: string): Promise<void> {
    await page.waitForSelector(`${contact(handle)}[data-status="${code}"]`);
  }

  /** The active conversation's last message text, once it is `text`. */
  async function seesMessage(page: Page, text: string): Promise<void> {
    await page.waitForSelector(`.conversation .messages .text >> text="${text}"`);
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('.conversation.active .message-input', text);
    await page.click('.conversation.active .send');
  }

  test('two members sign in, see each other and the TCP client online, and see presence change', async () => {
    ann = await open({ width: 1100, height: 750 });
    ben = await open({ width: 390, height: 800 });
    await signIn(ann, ANN);
    await addContact(ann, BEN);
    await addContact(ann, TOM);
    await status(ann, TOM, 'NLN');
    await signIn(ben, BEN);
    await addContact(ben, ANN);
    await addContact(ben, TOM);
    await status(ben, ANN, 'NLN');
    await status(ann, BEN, 'NLN');
    assert.match((await tom.conn.next((r) => r.name === 'NLN' && r.args[1] === BEN, WAIT_MS)).line, /^NLN NLN ben@example.com /);

    await ann.selectOption('#status-select', 'AWY');
    await status(ben, ANN, 'AWY');
    assert.equal((await tom.conn.next((r) => r.name === 'NLN' && r.args[0] === 'AWY', WAIT_MS)).args[1], ANN);
    await ann.selectOption('#status-select', 'NLN');
    await status(ben, ANN, 'NLN');

    await ann.fill('#name-input', MARKUP_NAME);
    await ann.click('#name-save');
    await ben.waitForSelector(`${contact(ANN)} .name >> text="${MARKUP_NAME}"`);
    assert.equal(await ben.locator(`${contact(ANN)} .name`).textContent(), MARKUP_NAME);
    assert.equal(await ben.locator('#contacts b, #contacts img').count(), 0, 'the markup is text, not elements');
    const renamed = await tom.conn.next((r) => r.name === 'NLN' && r.args[1] === ANN && r.args[2] !== 'ann', WAIT_MS);
    assert.equal(decodeName(renamed.args[2]!), MARKUP_NAME);
  });

  test('one-to-one both ways with the TCP client, typing shown both ways', async () => {
    await ann.click(`${contact(TOM)} .chat`);
    await say(ann, 'hi tom');
    const fromAnn = await SwitchboardSession.answer(tom, await nextInvitation(tom, WAIT_MS));
    sessions.push(fromAnn);
    assert.equal((await fromAnn.nextMessage(WAIT_MS)).body, 'hi tom');
    await fromAnn.sendTyping();
    await ann.waitForSelector('.conversation.active .typing >> text=/is typing/');
    await fromAnn.send('hello <i>ann</i>');
    await seesMessage(ann, 'hello <i>ann</i>');
    assert.equal(await ann.locator('.messages i').count(), 0);
    await ann.type('.conversation.active .message-input', 'x');
    const typing = await fromAnn.nextMessage(WAIT_MS);
    assert.equal(typing.contentType, 'text/x-msmsgscontrol');
    assert.equal(typing.headers.TypingUser, ANN);

    // The TCP client calls a browser member, who answers; both ways.
    const toBen = await SwitchboardSession.open(tom);
    sessions.push(toBen);
    await toBen.invite(BEN);
    await toBen.conn.next('JOI', WAIT_MS);
    await toBen.send('hi ben');
    await seesMessage(ben, 'hi ben');
    await say(ben, 'hi tom, ben here');
    assert.equal(await nextText(toBen), 'hi tom, ben here');
  });

  test('a three-person conversation: invite a browser member, everyone sees everyone; unread marks', async () => {
    await ann.fill('.conversation.active .invite-handle', BEN);
    await ann.click('.conversation.active .invite-button');
    // Ben is in a conversation already: the new one arrives as an unread tab with a hint in the title.
    await ben.waitForSelector(`.chat-tab[data-people~="${ANN}"]`);
    await say(ann, 'all three of us');
    assert.equal(await nextText(sessions[0]!), 'all three of us');
    await ben.waitForSelector(`.chat-tab.unread[data-people~="${ANN}"]`);
    assert.match(await ben.title(), /^\(1\) MSN Messenger$/);
    await ben.click(`.chat-tab[data-people~="${ANN}"]`);
    assert.equal(await ben.title(), 'MSN Messenger');
    await seesMessage(ben, 'all three of us');
    await say(ben, 'ben to all');
    await seesMessage(ann, 'ben to all');
    assert.equal(await nextText(sessions[0]!), 'ben to all');
    await sessions[0]!.send('tom to all');
    await seesMessage(ann, 'tom to all');
    await seesMessage(ben, 'tom to all');
    const shot = process.env.MSND_WEB_SCREENSHOT;
    if (shot) {
      await ann.screenshot({ path: join(dirname(shot), 'messenger-desktop.png') });
      await ben.screenshot({ path: join(dirname(shot), 'messenger-phone.png') });
    }
  });

  test('a block takes effect: the blocked member sees them offline and cannot reach them', async () => {
    await ben.click('#back');
    await ben.click(`${contact(ANN)} .block`);
    await ben.waitForSelector(`#blocked li[data-handle="${ANN}"]`);
    await status(ann, BEN, 'FLN');
    await ann.click(`${contact(BEN)} .chat`);
    await say(ann, 'are you there?');
    await ann.waitForSelector('.conversation.active .messages .error >> text=/Not delivered/');
    await ben.click(`#blocked li[data-handle="${ANN}"] .unblock`);
    await status(ann, BEN, 'NLN');
  });

  test('a dropped connection: the page signs in again by itself and says so', async () => {
    await server.addUser({ handle: 'cal@example.com', password: PASSWORD, name: 'cal' });
    const cal = await open({ width: 800, height: 600 });
    // The test stands between the page and the NS WebSocket, so that it can cut the connection.
    const nsSockets: WebSocketRoute[] = [];
    await cal.routeWebSocket(/\/messenger\/ws\/ns/, (ws) => {
      ws.connectToServer();
      nsSockets.push(ws);
    });
    await signIn(cal, 'cal@example.com');
    await cal.waitForSelector('#me >> text=/Online/');
    await nsSockets[0]!.close();
    await cal.waitForSelector('#notice >> text=/you are signed in again/');
    assert.equal(nsSockets.length, 2, 'a new NS WebSocket');
    await cal.waitForSelector('#app', { state: 'visible' });
    assert.deepEqual(pageErrors, []);
  });
});
