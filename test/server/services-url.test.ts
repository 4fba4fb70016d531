// URL (MSNP5.md 9.16; sessions.md session 10): every service in every dialect form.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { ask } from '../helpers/ask.ts';
import { useServicesMsnd } from '../helpers/services.ts';

const LOGIN = 'http://www.example.com/md5auth?lc=1033';

describe('URL', () => {
  const m = useServicesMsnd({ webUrl: 'http://www.example.com', dialects: ['MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'] });
  const plain = useServicesMsnd();
  const clients: MsnClient[] = [];

  before(async () => {
    await m.s.addUsers({ handle: 'alice@example.com', password: 'secret123', name: 'Alice A' });
    await plain.s.addUsers({ handle: 'alice@example.com', password: 'secret123' });
  });
  after(() => {
    for (const c of clients) c.close();
  });

  async function login(dialect: string, on = m): Promise<MsnClient> {
    const client = await on.s.login('alice@example.com', { dialects: [dialect] });
    clients.push(client);
    return client;
  }

  test('MSNP5: the lines of session 10', async () => {
    const { conn } = await login('MSNP5');
    assert.equal(await ask(conn, 'URL', 80, 'INBOX'), `URL 80 /cgi-bin/HoTMaiL ${LOGIN} 2`);
    assert.equal(
      await ask(conn, 'URL', 81, 'COMPOSE', 'carol@example.com'),
      `URL 81 /cgi-bin/compose?mailto=1&to=carol%40example.com ${LOGIN} 2`,
    );
    assert.equal(await ask(conn, 'URL', 82, 'MOBILE'), `URL 82 http://www.example.com/mobile/setup ${LOGIN} 961`);
    assert.equal(await ask(conn, 'URL', 83, 'CHGMOB'), `URL 83 http://www.example.com/mobile/settings ${LOGIN} 961`);
    assert.equal(await ask(conn, 'URL', 84, 'WEATHER'), '201 84');
  });

  test('MSNP5: the other services; webmail paths stay relative, msnd pages are absolute', async () => {
    const { conn } = await login('MSNP5');
    assert.equal(await ask(conn, 'URL', 10, 'COMPOSE'), `URL 10 /cgi-bin/compose ${LOGIN} 2`);
    assert.equal(await ask(conn, 'URL', 11, 'FOLDERS'), `URL 11 /cgi-bin/folders ${LOGIN} 2`);
    assert.equal(await ask(conn, 'URL', 12, 'MESSAGE'), `URL 12 /cgi-bin/getmsg ${LOGIN} 2`);
    assert.equal(await ask(conn, 'URL', 13, 'PERSON'), `URL 13 http://www.example.com/person ${LOGIN} 2`);
    assert.equal(await ask(conn, 'URL', 14, 'PASSWORD'), `URL 14 http://www.example.com/password ${LOGIN} 2`);
    // An extra parameter (an LCID, as later clients send) does not change the answer.
    assert.equal(await ask(conn, 'URL', 15, 'INBOX', '0x0409'), `URL 15 /cgi-bin/HoTMaiL ${LOGIN} 2`);
  });

  test('COMPOSE %-encodes every byte of the address but A-Z a-z 0-9 - . _ ~', async () => {
    const { conn } = await login('MSNP5');
    assert.equal(
      await ask(conn, 'URL', 20, 'COMPOSE', 'a+b_c.d~e-f@x.example'),
      `URL 20 /cgi-bin/compose?mailto=1&to=a%2Bb_c.d~e-f%40x.example ${LOGIN} 2`,
    );
    assert.equal(await ask(conn, 'URL', 21, 'COMPOSE', 'x&y=z?#%'), `URL 21 /cgi-bin/compose?mailto=1&to=x%26y%3Dz%3F%23%25 ${LOGIN} 2`);
  });

  test('unknown, MSNP6+ and wrong-case services get 201; the session goes on', async () => {
    const { conn } = await login('MSNP5');
    for (const [trid, service] of [
      [30, 'PROFILE'],
      [31, 'CHAT'],
      [32, 'N2PACCOUNT'],
      [33, 'inbox'],
      [34, 'ADDRBOOK'],
    ] as const) {
      assert.equal(await ask(conn, 'URL', trid, service), `201 ${trid}`);
    }
    assert.equal(await ask(conn, 'URL', 35, 'INBOX'), `URL 35 /cgi-bin/HoTMaiL ${LOGIN} 2`);
  });

  test('MSNP4 and MSNP3: site ids, absolute msnd pages; MOBILE and CHGMOB do not exist yet', async () => {
    for (const dialect of ['MSNP4', 'MSNP3']) {
      const { conn } = await login(dialect);
      assert.equal(await ask(conn, 'URL', 40, 'INBOX'), `URL 40 /cgi-bin/HoTMaiL ${LOGIN} 2`);
      assert.equal(await ask(conn, 'URL', 41, 'PERSON'), `URL 41 http://www.example.com/person ${LOGIN} 2`);
      assert.equal(await ask(conn, 'URL', 42, 'MOBILE'), '201 42');
      assert.equal(await ask(conn, 'URL', 43, 'CHGMOB'), '201 43');
    }
  });

  test('MSNP2: no site id, and only relative redirects', async () => {
    const { conn } = await login('MSNP2');
    assert.equal(await ask(conn, 'URL', 50, 'INBOX'), `URL 50 /cgi-bin/HoTMaiL ${LOGIN}`);
    assert.equal(
      await ask(conn, 'URL', 51, 'COMPOSE', 'carol@example.com'),
      `URL 51 /cgi-bin/compose?mailto=1&to=carol%40example.com ${LOGIN}`,
    );
    assert.equal(await ask(conn, 'URL', 52, 'PERSON'), `URL 52 /person ${LOGIN}`);
    assert.equal(await ask(conn, 'URL', 53, 'PASSWORD'), `URL 53 /password ${LOGIN}`);
    assert.equal(await ask(conn, 'URL', 54, 'MOBILE'), '201 54');
  });

  test('without a webUrl setting the login page is on the bound web port', async () => {
    const { conn } = await login('MSNP5', plain);
    const web = `http://127.0.0.1:${plain.s.msnd.ports.http}`;
    assert.equal(await ask(conn, 'URL', 60, 'MOBILE'), `URL 60 ${web}/mobile/setup ${web}/md5auth?lc=1033 961`);
  });

  test('URL without a service, or with two parameters, closes the connection', async () => {
    for (const line of ['URL 70\r\n', 'URL 71 COMPOSE a@example.com extra\r\n']) {
      const { conn } = await login('MSNP5');
      conn.sendRaw(line);
      await conn.waitClosed(3000);
      assert.deepEqual(
        conn.drain().map((r) => r.line),
        [],
      );
    }
  });
});
