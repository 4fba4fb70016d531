// The MSNP6/MSNP7 URL services on the web (MSNP5.md 9.16): PROFILE leads to msnd's member-directory
// page; N2PACCOUNT, N2PFUND and CHAT lead to msnd pages that send the browser on to the operator's
// service when one is configured and otherwise say plainly that this server does not offer it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { parseServerConfig } from '../../src/server/config.ts';
import { type TestMsnd, useMsnd } from '../helpers/msnd.ts';
import { hiddenForm, httpGet, httpPostForm, requestUrl, sessionCookie, webBase } from '../helpers/web.ts';

const DIALECTS = ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'] as const;
const PAGES = { N2PACCOUNT: '/net2phone/account', N2PFUND: '/net2phone/fund', CHAT: '/chat' };
const NOT_OFFERED = {
  N2PACCOUNT: 'Net2Phone accounts are not offered on this server.',
  N2PFUND: 'Net2Phone payments are not offered on this server.',
  CHAT: 'Chat rooms are not offered on this server.',
};

/** Follows a URL reply as the client does: the hidden form to the login page, then the redirect. */
async function openService(server: TestMsnd, client: MsnClient, password: string, service: string) {
  const target = await requestUrl(client, service);
  const signedIn = await httpPostForm(target.loginUrl, hiddenForm(client, password, target));
  assert.equal(signedIn.status, 302, `md5auth for ${service}`);
  const cookie = sessionCookie(signedIn.setCookie);
  return { target, location: signedIn.location!, page: await httpGet(`${webBase(server)}${signedIn.location}`, cookie) };
}

describe('partner services without operator settings', () => {
  const server = useMsnd({ dialects: [...DIALECTS] });
  const clients: MsnClient[] = [];

  before(async () => {
    await server.addUsers({ handle: 'alice@example.com', password: 'secret123' });
  });
  after(() => {
    for (const c of clients) c.close();
  });

  test('each page answers 404 with a page that says the service is not offered', async () => {
    for (const [service, path] of Object.entries(PAGES)) {
      const answer = await httpGet(`${webBase(server)}${path}`);
      assert.equal(answer.status, 404, path);
      assert.match(answer.contentType ?? '', /^text\/html/);
      assert.ok(answer.body.includes(`<p id="not-offered">${NOT_OFFERED[service as keyof typeof NOT_OFFERED]}</p>`), answer.body);
      assert.match(answer.body, /<title>Not offered on this server - MSN Messenger Service<\/title>/);
    }
  });

  test('URL CHAT (MSNP7) and URL N2PACCOUNT/N2PFUND (MSNP6) lead there through the login page', async () => {
    const seven = await server.login('alice@example.com', { dialects: ['MSNP7'] });
    clients.push(seven);
    const chat = await openService(server, seven, 'secret123', 'CHAT');
    assert.equal(chat.target.siteId, '2260');
    assert.equal(chat.location, '/chat');
    assert.equal(chat.page.status, 404);
    assert.ok(chat.page.body.includes(NOT_OFFERED.CHAT));
    const six = await server.login('alice@example.com', { dialects: ['MSNP6'] });
    clients.push(six);
    for (const service of ['N2PACCOUNT', 'N2PFUND'] as const) {
      const opened = await openService(server, six, 'secret123', service);
      assert.equal(opened.target.siteId, '2823');
      assert.equal(opened.location, PAGES[service]);
      assert.ok(opened.page.body.includes(NOT_OFFERED[service]), service);
    }
  });

  test('URL PROFILE (MSNP6) signs the browser in to the member-directory page', async () => {
    const client = await server.login('alice@example.com', { dialects: ['MSNP6'] });
    clients.push(client);
    const profile = await openService(server, client, 'secret123', 'PROFILE');
    assert.equal(profile.target.siteId, '4263');
    assert.equal(profile.location, '/profile');
    assert.equal(profile.page.status, 200);
    assert.match(profile.page.body, /Listed members can be found with <b>Find a contact<\/b>/);
    assert.match(profile.page.body, /alice@example\.com/);
  });
});

describe('partner services with operator settings', () => {
  const server = useMsnd({
    dialects: [...DIALECTS],
    chatUrl: 'https://chat.example.test/rooms?lc=1033',
    net2phoneAccountUrl: 'https://n2p.example.test/account',
  });

  test('a configured service is a redirect to it; the others still say they are not offered', async () => {
    const chat = await httpGet(`${webBase(server)}/chat`);
    assert.deepEqual([chat.status, chat.location], [302, 'https://chat.example.test/rooms?lc=1033']);
    const account = await httpGet(`${webBase(server)}/net2phone/account`);
    assert.deepEqual([account.status, account.location], [302, 'https://n2p.example.test/account']);
    const fund = await httpGet(`${webBase(server)}/net2phone/fund`);
    assert.equal(fund.status, 404);
    assert.ok(fund.body.includes(NOT_OFFERED.N2PFUND));
  });

  test('the settings must be http(s) URLs', () => {
    for (const bad of [{ chatUrl: 'ftp://chat.example.test/' }, { net2phoneFundUrl: 'not a url' }, { net2phoneAccountUrl: '' }]) {
      const name = Object.keys(bad)[0]!;
      assert.throws(() => parseServerConfig(bad), new RegExp(`invalid settings:\\n  ${name}: `), name);
    }
  });
});
