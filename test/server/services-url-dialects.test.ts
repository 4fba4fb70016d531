// URL in every dialect (MSNP5.md 4.2, 4.3, 9.16): every service in MSNP2 … MSNP7, with the MSNP2
// two-parameter form, site ids from MSNP3, the MSNP6 and MSNP7 services, and their LCID parameter.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { ask } from '../helpers/ask.ts';
import { useServicesMsnd } from '../helpers/services.ts';

const WEB = 'http://www.example.com';
const LOGIN = `${WEB}/md5auth?lc=1033`;

interface Expected {
  path: string;
  /** msnd's own page: absolute from MSNP3; webmail paths stay relative. */
  own: boolean;
  siteId: number;
  since: number;
  until?: number;
}

// [YW URL] and MSNP5.md 9.16; the site ids as msnd chose them (services.ts).
const SERVICES: Record<string, Expected> = {
  INBOX: { path: '/cgi-bin/HoTMaiL', own: false, siteId: 2, since: 2 },
  COMPOSE: { path: '/cgi-bin/compose', own: false, siteId: 2, since: 2 },
  FOLDERS: { path: '/cgi-bin/folders', own: false, siteId: 2, since: 2 },
  MESSAGE: { path: '/cgi-bin/getmsg', own: false, siteId: 2, since: 2 },
  PERSON: { path: '/person', own: true, siteId: 2, since: 2 },
  PASSWORD: { path: '/password', own: true, siteId: 2, since: 2 },
  MOBILE: { path: '/mobile/setup', own: true, siteId: 961, since: 5 },
  CHGMOB: { path: '/mobile/settings', own: true, siteId: 961, since: 5 },
  PROFILE: { path: '/profile', own: true, siteId: 4263, since: 6 },
  N2PACCOUNT: { path: '/net2phone/account', own: true, siteId: 2823, since: 6, until: 6 },
  N2PFUND: { path: '/net2phone/fund', own: true, siteId: 2823, since: 6, until: 6 },
  CHAT: { path: '/chat', own: true, siteId: 2260, since: 7 },
};
const LCID_SERVICES = ['PROFILE', 'N2PACCOUNT', 'N2PFUND', 'CHAT'];

function expectedLine(trid: number, level: number, e: Expected): string {
  if (level < e.since || level > (e.until ?? 7)) return `201 ${trid}`;
  if (level === 2) return `URL ${trid} ${e.path} ${LOGIN}`;
  return `URL ${trid} ${e.own ? WEB + e.path : e.path} ${LOGIN} ${e.siteId}`;
}

describe('URL per dialect', () => {
  const m = useServicesMsnd({ webUrl: WEB, dialects: ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'] });
  const clients: MsnClient[] = [];

  before(async () => {
    await m.s.addUsers({ handle: 'alice@example.com', password: 'secret123', name: 'Alice A' });
  });
  after(() => {
    for (const c of clients) c.close();
  });

  async function login(level: number): Promise<MsnClient> {
    const client = await m.s.login('alice@example.com', { dialects: [`MSNP${level}`] });
    clients.push(client);
    assert.equal(client.dialect, `MSNP${level}`);
    return client;
  }

  for (const level of [2, 3, 4, 5, 6, 7]) {
    test(`MSNP${level}: every service`, async () => {
      const { conn } = await login(level);
      let trid = 100;
      for (const [service, expected] of Object.entries(SERVICES)) {
        trid += 1;
        assert.equal(await ask(conn, 'URL', trid, service), expectedLine(trid, level, expected), service);
      }
    });

    test(`MSNP${level}: the LCID parameter, in hex or decimal, does not change the answer`, async () => {
      const { conn } = await login(level);
      let trid = 200;
      for (const service of LCID_SERVICES) {
        for (const lcid of ['0x0409', '0x1409', '1033']) {
          trid += 1;
          assert.equal(await ask(conn, 'URL', trid, service, lcid), expectedLine(trid, level, SERVICES[service]!), `${service} ${lcid}`);
        }
      }
    });
  }

  test('a malformed LCID, a lower-case or an unknown service get 201; the session goes on', async () => {
    for (const level of [6, 7]) {
      const { conn } = await login(level);
      const cases: [string, string?][] = [
        ['PROFILE', 'en-us'],
        ['PROFILE', '0x'],
        ['PROFILE', '0x123456789'],
        ['CHAT', '-1'],
        ['N2PFUND', '10.5'],
        ['profile'],
        ['chat', '0x0409'],
        ['Net2Phone'],
        ['ADDRBOOK'],
        ['INTSEARCH'],
      ];
      for (const [i, [service, param]] of cases.entries()) {
        const args = param === undefined ? [service] : [service, param];
        assert.equal(await ask(conn, 'URL', 300 + i, ...args), `201 ${300 + i}`, args.join(' '));
      }
      assert.equal(await ask(conn, 'URL', 399, 'PROFILE'), expectedLine(399, level, SERVICES.PROFILE!));
    }
  });

  test('services that take no LCID still ignore their parameter (COMPOSE takes an address)', async () => {
    const { conn } = await login(7);
    assert.equal(await ask(conn, 'URL', 400, 'MOBILE', 'whatever'), `URL 400 ${WEB}/mobile/setup ${LOGIN} 961`);
    assert.equal(
      await ask(conn, 'URL', 401, 'COMPOSE', 'carol@example.com'),
      `URL 401 /cgi-bin/compose?mailto=1&to=carol%40example.com ${LOGIN} 2`,
    );
  });

  test('URL PROFILE with an extra parameter closes the connection (too many parameters)', async () => {
    const { conn } = await login(6);
    conn.sendRaw('URL 500 PROFILE 0x0409 extra\r\n');
    await conn.waitClosed(3000);
    assert.deepEqual(
      conn.drain().map((r) => r.line),
      [],
    );
  });
});
