// Rate limits of the services that send something out of msnd: SDC/SND e-mails and PAG pages per
// account (MSNP5.md 13: 800; numbers are settings). Delivery goes to the outbox folder here.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MsnClient } from '../../src/client/client.ts';
import { ask } from '../helpers/ask.ts';
import { askPayload, outboxRows, useServicesMsnd } from '../helpers/services.ts';

const SDC_ARGS = ['0x0409', 'MSMSGS', 'MSMSGS', 'X', 'X', 'Alice%20A'];
const PAGE = '<TEXT xml:space="preserve">Call me.</TEXT>';

describe('rate limits of SDC/SND and PAG (800)', () => {
  const m = useServicesMsnd({ limits: { invitationEmails: 2, pages: 2 } });
  const clients: MsnClient[] = [];

  before(async () => {
    await m.s.addUsers(
      { handle: 'alice@example.com', password: 'secret123', name: 'Alice A' },
      { handle: 'bob@example.com', password: 'bobpass', name: 'Bob B' },
      { handle: 'carol@example.com', password: 'carolpass', name: 'Carol C' },
    );
    const bob = await m.s.store.findAccount('bob@example.com');
    await m.s.store.transaction((tx) => tx.updateAccount(bob!.id, { phones: { PHM: '15550199', MOB: 'Y', MBE: 'Y' } }));
  });
  after(() => {
    for (const client of clients) client.close();
  });

  async function login(handle: string): Promise<MsnClient> {
    const client = await m.s.login(handle);
    clients.push(client);
    return client;
  }

  test('SDC and SND share one budget per account; refused ones do not count; other accounts are not affected', async () => {
    const alice = await login('alice@example.com');
    assert.equal((await askPayload(alice.conn, 'SDC', 10, ['7', ...SDC_ARGS], '')).line, '201 10');
    assert.equal((await askPayload(alice.conn, 'SDC', 11, ['one@example.net', ...SDC_ARGS], 'hi')).line, 'SDC 11 OK');
    assert.equal(await ask(alice.conn, 'SND', 12, 'two@example.net'), 'SND 12 OK');
    assert.equal((await askPayload(alice.conn, 'SDC', 13, ['three@example.net', ...SDC_ARGS], '')).line, '800 13');
    assert.equal(await ask(alice.conn, 'SND', 14, 'four@example.net', '0x0409', 'MSMSGS', 'MSMSGS'), '800 14');
    const carol = await login('carol@example.com');
    assert.equal(await ask(carol.conn, 'SND', 15, 'five@example.net'), 'SND 15 OK');
    const sent = (await outboxRows(m.s))
      .filter((row) => row.kind === 'email')
      .map((row) => row.recipient)
      .sort();
    assert.deepEqual(sent, ['five@example.net', 'one@example.net', 'two@example.net']);
  });

  test('PAG: two pages, then 800; a refused page (220) does not count', async () => {
    const carol = await login('carol@example.com');
    carol.conn.sendPayload('PAG', [20, 'alice@example.com'], PAGE);
    assert.equal((await carol.conn.next()).line, '220 20');
    carol.conn.sendPayload('PAG', [21, 'bob@example.com'], PAGE);
    carol.conn.sendPayload('PAG', [22, 'bob@example.com'], PAGE);
    carol.conn.sendPayload('PAG', [23, 'bob@example.com'], PAGE);
    assert.equal((await carol.conn.next()).line, '800 23');
    const pages = (await outboxRows(m.s)).filter((row) => row.kind === 'page');
    assert.equal(pages.length, 2);
  });
});
