// PAG delivered as IPG (MSNP5.md 9.20, 9.28, 12.7): to a target signed in at MSNP6 or later, present
// and not hidden, through the bus (also from another node); everyone else still gets the page on the
// phone through the outbox; PAG's error checks come first either way.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { payloadText } from '../../src/client/received.ts';
import type { ReceivedPage } from '../../src/client/pages.ts';
import { parseServerConfig } from '../../src/server/config.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { startMsnd, type RunningMsnd } from '../../src/server/msnd.ts';
import { eventually, outboxRows, startServicesMsnd, type ServicesMsnd } from '../helpers/services.ts';
import type { OutboxRecord } from '../../src/core/store.ts';

const ALL_DIALECTS = ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'MSNP3', 'MSNP2'] as const;
const WEB = 'http://www.example.com';
const TEXT = '<TEXT xml:space="preserve">Call me when you land.</TEXT>';
const MOBILE = { PHM: '15550199', MOB: 'Y', MBE: 'Y' };

/** Accounts named `<name>@example.com`, password `<name>pass`; phones as given. */
async function addAccounts(m: ServicesMsnd, accounts: Record<string, Record<string, string>>): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const [name, phones] of Object.entries(accounts)) {
    const handle = `${name}@example.com`;
    await m.s.addUser({ handle, password: `${name}pass`, name: `${name[0]!.toUpperCase()}${name.slice(1)}` });
    const account = (await m.s.store.findAccount(handle))!;
    await m.s.store.transaction((tx) => tx.updateAccount(account.id, { phones }));
    ids.set(name, account.id);
  }
  return ids;
}

function pid(id: number): string {
  return `0x00000000:0x${id.toString(16).padStart(8, '0')}`;
}

/** The document msnd writes for a page from `from` to `to` (compare [YW IPG]). */
function ipgDocument(ids: Map<string, number>, from: string, to: string, text: string, siteUrl = `${WEB}/`): string {
  return (
    `<NOTIFICATION ver="1" id="0" siteid="111100400" siteurl="${siteUrl}">` +
    `<TO pid="${pid(ids.get(to)!)}" name="${to}@example.com"><VIA agent="mobile"/></TO>` +
    `<FROM pid="${pid(ids.get(from)!)}" name="${from}@example.com"/>` +
    `<MSG pri="1" id="1"><ACTION url="mobile/settings"/><SUBSCR url="mobile/settings"/><CAT id="110110001"/>` +
    `<BODY lang="1033"><TEXT>${text}</TEXT></BODY></MSG></NOTIFICATION>`
  );
}

/** PAG, then PNG: the QNG comes after the PAG was handled (one connection's commands run in order). */
async function pageAndWait(conn: MsnpConnection, trid: number, to: string, payload: string): Promise<void> {
  conn.sendPayload('PAG', [trid, to], payload);
  conn.send('PNG');
  await conn.next('QNG', 3000);
}

async function pageRows(m: ServicesMsnd): Promise<OutboxRecord[]> {
  return (await outboxRows(m.s)).filter((row) => row.kind === 'page');
}

describe('PAG as IPG', () => {
  let m: ServicesMsnd;
  let ids: Map<string, number>;
  const clients: MsnClient[] = [];

  before(async () => {
    m = await startServicesMsnd({ webUrl: WEB, dialects: [...ALL_DIALECTS] });
    ids = await addAccounts(m, {
      alice: {},
      bob: MOBILE,
      carol: { ...MOBILE, PHM: '15550111' },
      dave: { ...MOBILE, PHM: '15550122' },
      erin: { PHM: '15550133', MOB: 'N', MBE: 'Y' },
      frank: { ...MOBILE, PHM: '15550144' },
      gina: {},
      hank: { ...MOBILE, PHM: '15550166' },
    });
    // Frank blocks Alice.
    await m.s.store.transaction((tx) =>
      tx.saveContact(ids.get('frank')!, ids.get('alice')!, {
        name: 'alice',
        lists: { FL: false, AL: false, BL: true, RL: false },
        groups: [],
      }),
    );
  });
  after(async () => {
    for (const c of clients) c.close();
    await m.stop();
  });

  async function signIn(name: string, dialect: string, status?: string): Promise<MsnClient> {
    const client = await m.s.login(`${name}@example.com`, { dialects: [dialect] });
    clients.push(client);
    if (status) await client.changeStatus(status);
    return client;
  }

  test('MSNP6 target: IPG with the document, no reply to the pager, nothing for the phone', async () => {
    const alice = await signIn('alice', 'MSNP5', 'NLN');
    const bob = await signIn('bob', 'MSNP6', 'NLN');
    const pages: ReceivedPage[] = [];
    bob.on('page', (page) => pages.push(page));
    await pageAndWait(alice.conn, 96, 'bob@example.com', TEXT);
    const ipg = await bob.conn.next('IPG', 3000);
    const document = ipgDocument(ids, 'alice', 'bob', 'Call me when you land.');
    assert.equal(ipg.line, `IPG ${Buffer.byteLength(document)}`);
    assert.equal(payloadText(ipg), document);
    await alice.conn.expectNothing((r) => r.args[0] === '96', 100);
    assert.deepEqual(await pageRows(m), []);
    // The client library reads it.
    assert.deepEqual(pages, [
      { from: 'alice@example.com', fromPid: pid(ids.get('alice')!), text: 'Call me when you land.', messageId: '1', notificationId: '0' },
    ]);
  });

  test('MSNP7 target, from an MSNP7 pager: IPG; the call-back number and escaped text reach it', async () => {
    const alice = await signIn('alice', 'MSNP7', 'NLN');
    const carol = await signIn('carol', 'MSNP7', 'AWY');
    const payload =
      '<PHONE pri="1"><LOC>HOME</LOC><NUM>15550100</NUM></PHONE>' +
      '<TEXT xml:space="preserve">Fish &#x26; chips &lt;now&gt; "yes" it\'s &#233;t&#xE9;</TEXT>';
    await pageAndWait(alice.conn, 7, 'Carol@Example.com', payload);
    const ipg = await carol.conn.next('IPG', 3000);
    const text = 'Fish &amp; chips &lt;now&gt; &quot;yes&quot; it&apos;s été (Call back: 15550100)';
    assert.equal(payloadText(ipg), ipgDocument(ids, 'alice', 'carol', text));
    assert.equal(ipg.line, `IPG ${Buffer.byteLength(ipgDocument(ids, 'alice', 'carol', text))}`);
    assert.deepEqual(await pageRows(m), []);
  });

  test('targets signed in at MSNP5 or older, offline, hidden or not yet present get the page on the phone', async () => {
    const alice = await signIn('alice', 'MSNP5', 'NLN');
    const old = await signIn('dave', 'MSNP5', 'NLN');
    await pageAndWait(alice.conn, 1, 'dave@example.com', TEXT);
    await old.conn.expectNothing('IPG', 100);
    old.close();
    await eventually(async () => !(await m.s.bus.routes.isSignedIn('dave@example.com')), 'dave signed out');
    await pageAndWait(alice.conn, 2, 'dave@example.com', TEXT);
    const hidden = await signIn('hank', 'MSNP6', 'HDN');
    await pageAndWait(alice.conn, 3, 'hank@example.com', TEXT);
    await hidden.conn.expectNothing('IPG', 100);
    hidden.close();
    // Signed in at MSNP7, but no CHG yet: not present.
    const early = await signIn('hank', 'MSNP7');
    await pageAndWait(alice.conn, 4, 'hank@example.com', TEXT);
    await early.conn.expectNothing('IPG', 100);
    const rows = await pageRows(m);
    assert.deepEqual(
      rows.map((r) => [r.recipient, r.sender, r.body]),
      [
        ['15550122', 'alice@example.com', 'Call me when you land.'],
        ['15550122', 'alice@example.com', 'Call me when you land.'],
        ['15550166', 'alice@example.com', 'Call me when you land.'],
        ['15550166', 'alice@example.com', 'Call me when you land.'],
      ],
    );
    await alice.conn.expectNothing((r) => /^[0-9]{3}$/.test(r.name), 100);
  });

  test('a BODY over 1024 bytes once escaped goes to the phone instead', async () => {
    const alice = await signIn('alice', 'MSNP5', 'NLN');
    const bob = await signIn('bob', 'MSNP6', 'NLN');
    const before = (await pageRows(m)).length;
    const quotes = '"'.repeat(900);
    await pageAndWait(alice.conn, 5, 'bob@example.com', `<TEXT xml:space="preserve">${quotes}</TEXT>`);
    await bob.conn.expectNothing('IPG', 200);
    const rows = await pageRows(m);
    assert.equal(rows.length, before + 1);
    assert.deepEqual([rows.at(-1)!.recipient, rows.at(-1)!.body], ['15550199', quotes]);
  });

  test('205, 220 and 201 come first, even for a target that could take an IPG; nothing is delivered', async () => {
    const alice = await signIn('alice', 'MSNP6', 'NLN');
    const watchers = await Promise.all(['bob', 'erin', 'frank', 'gina'].map((name) => signIn(name, 'MSNP6', 'NLN')));
    const before = (await pageRows(m)).length;
    const cases: [string, string, string][] = [
      ['nobody@example.com', TEXT, '205'],
      // erin has MOB N; frank blocks alice; gina has no mobile number.
      ['erin@example.com', TEXT, '220'],
      ['frank@example.com', TEXT, '220'],
      ['gina@example.com', TEXT, '220'],
      ['bob@example.com', 'Call me when you land.', '201'],
      ['bob@example.com', '<TEXT xml:space="preserve">bell &#x7;</TEXT>', '201'],
      ['not-a-handle', TEXT, '201'],
    ];
    for (const [i, [to, payload, code]] of cases.entries()) {
      alice.conn.sendPayload('PAG', [20 + i, to], payload);
      assert.equal((await alice.conn.next((r) => r.args[0] === String(20 + i), 3000)).line, `${code} ${20 + i}`, to);
    }
    for (const watcher of watchers) await watcher.conn.expectNothing('IPG', 50);
    assert.equal((await pageRows(m)).length, before);
  });
});

describe('PAG as IPG across nodes', () => {
  let m: ServicesMsnd;
  let second: RunningMsnd;
  let ids: Map<string, number>;
  const clients: MsnClient[] = [];

  before(async () => {
    m = await startServicesMsnd({ webUrl: WEB, dialects: [...ALL_DIALECTS] });
    ids = await addAccounts(m, { alice: {}, bob: MOBILE });
    // A second node with the same store and bus, as in cluster mode (DESIGN.md).
    const config = parseServerConfig({
      host: '127.0.0.1',
      dsPort: 0,
      nsPort: 0,
      sbPort: 0,
      httpPort: 0,
      dataDir: m.outboxDir.replace(/outbox$/, 'node2'),
      webUrl: 'http://node2.example.com',
      dialects: [...ALL_DIALECTS],
    });
    second = await startMsnd({ config, store: m.s.store, bus: m.s.bus, log: silentLogger(), webKey: randomBytes(32) });
  });
  after(async () => {
    for (const c of clients) c.close();
    await second.stop();
    await m.stop();
  });

  test('the pager on one node, the target on the other: the IPG is written by the target node', async () => {
    const bob = await MsnClient.login({
      host: '127.0.0.1',
      port: second.ports.ns,
      handle: 'bob@example.com',
      password: 'bobpass',
      dialects: ['MSNP6'],
      viaDispatch: false,
    });
    clients.push(bob);
    await bob.changeStatus('NLN');
    const alice = await m.s.login('alice@example.com', { dialects: ['MSNP5'] });
    clients.push(alice);
    await pageAndWait(alice.conn, 9, 'bob@example.com', TEXT);
    const ipg = await bob.conn.next('IPG', 3000);
    // siteurl is the web of the node that holds bob's session.
    assert.equal(payloadText(ipg), ipgDocument(ids, 'alice', 'bob', 'Call me when you land.', 'http://node2.example.com/'));
    assert.deepEqual(await pageRows(m), []);
  });
});
