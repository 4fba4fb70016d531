import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MsnClient } from '../../src/client/client.ts';
import type { MsnClientEvents } from '../../src/client/client.ts';
import { LoginError, MsnpError } from '../../src/client/errors.ts';
import type { LoginOptions } from '../../src/client/login.ts';
import { parseMime } from '../../src/client/mime.ts';
import { ScriptServer } from './script-server.ts';
import type { ScriptPeer } from './script-server.ts';
import {
  SESSION1_DS,
  SESSION1_NS_CHG,
  SESSION1_NS_LOGIN,
  SESSION1_NS_SYNC,
  SESSION17_DS,
  SESSION17_NS_LOGIN,
  SESSION17_NS_SYNC,
} from './transcripts.ts';

let ds: ScriptServer;
let ns: ScriptServer;
let clients: MsnClient[] = [];

beforeEach(async () => {
  ds = await ScriptServer.start();
  ns = await ScriptServer.start();
});

afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await ds.stop();
  await ns.stop();
});

const ALICE = { host: '127.0.0.1', handle: 'alice@example.com', password: 'secret123' };

/** Runs a server-side script on the next connection of a server; returns that peer. */
async function serve(server: ScriptServer, transcript: string, then?: (peer: ScriptPeer) => void): Promise<ScriptPeer> {
  const peer = await server.nextPeer();
  await peer.play(transcript, { nsPort: ns.port });
  then?.(peer);
  return peer;
}

async function login(opts: Partial<LoginOptions> = {}): Promise<MsnClient> {
  const client = await MsnClient.login({ ...ALICE, port: ds.port, ...opts });
  clients.push(client);
  return client;
}

/** Alice signed in as in session 1 (through the DS); returns the client and the NS side. */
async function aliceSignedIn(): Promise<{ client: MsnClient; peer: ScriptPeer }> {
  const dsSide = serve(ds, SESSION1_DS, (p) => p.close());
  const nsSide = serve(ns, SESSION1_NS_LOGIN);
  const client = await login();
  await dsSide;
  return { client, peer: await nsSide };
}

async function aliceSynced(): Promise<{ client: MsnClient; peer: ScriptPeer }> {
  const session = await aliceSignedIn();
  const played = session.peer.play(SESSION1_NS_SYNC);
  await session.client.sync(0);
  await played;
  return session;
}

/** Collects a client's events of one kind. */
function record<K extends keyof MsnClientEvents>(client: MsnClient, event: K): MsnClientEvents[K][] {
  const seen: MsnClientEvents[K][] = [];
  const listener = (...args: MsnClientEvents[K]): void => void seen.push(args);
  (client.on as (e: K, l: typeof listener) => MsnClient)(event, listener);
  return seen;
}

describe('MsnClient.login', () => {
  it('signs in through the DS exactly as in session 1', async () => {
    const { client } = await aliceSignedIn();
    assert.equal(client.handle, 'alice@example.com');
    assert.equal(client.friendlyName, 'Alice%20A');
    assert.equal(client.dialect, 'MSNP5');
    assert.equal(client.verified, undefined);
    assert.equal(client.profile.MemberIdLow, '1234567');
    assert.equal(client.profile.PostalCode, '');
    assert.equal(client.profile.MSPAuth, '7Qk2pLr9AbCdEf$$');
    // the e-mail notification that follows the profile stays in the inbox
    const mail = await client.conn.next('MSG');
    const { headers, body } = parseMime(mail.payload ?? '');
    assert.equal(headers['Content-Type'], 'text/x-msmsgsinitialemailnotification; charset=UTF-8');
    assert.match(body, /^Inbox-Unread: 2\r\n/);
  });

  it('signs in with MSNP7 and reads the verified flag', async () => {
    const dsSide = serve(ds, SESSION17_DS, (p) => p.close());
    const nsSide = serve(ns, SESSION17_NS_LOGIN);
    const client = await login({
      handle: 'carol@example.com',
      password: 'carolpass',
      dialects: ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'CVR0'],
    });
    await Promise.all([dsSide, nsSide]);
    assert.equal(client.dialect, 'MSNP7');
    assert.equal(client.verified, true);
  });

  it('signs in at the NS directly when viaDispatch is false', async () => {
    const nsSide = serve(ns, SESSION1_NS_LOGIN);
    const client = await login({ port: ns.port, viaDispatch: false, firstTrId: 4 });
    await nsSide;
    assert.equal(client.handle, 'alice@example.com');
  });

  it('rejects a wrong password with LoginError 911', async () => {
    const nsSide = serve(
      ns,
      `
      C: VER 1 MSNP5 MSNP4 CVR0
      S: VER 1 MSNP5 MSNP4 CVR0
      C: INF 2
      S: INF 2 MD5
      C: USR 3 MD5 I alice@example.com
      S: USR 3 MD5 S 1058403919.482917335
      C: USR 4 MD5 S 37d3caf2a6beeb4c1ec872341d4cf655
      S: 911 4
    `,
      (p) => p.close(),
    );
    await assert.rejects(login({ port: ns.port, viaDispatch: false, password: 'hunter2' }), (err: Error) => {
      assert.ok(err instanceof LoginError);
      assert.equal(err.code, 911);
      assert.equal(err.request, 'USR 4 MD5 S 37d3caf2a6beeb4c1ec872341d4cf655');
      assert.match(err.message, /"911 4" \(AUTHENTICATION_FAILED\)/);
      return true;
    });
    await nsSide;
  });

  it('rejects an error code from the DS with LoginError', async () => {
    const dsSide = serve(
      ds,
      `
      C: VER 1 MSNP5 MSNP4 CVR0
      S: VER 1 MSNP5 MSNP4 CVR0
      C: INF 2
      S: INF 2 MD5
      C: USR 3 MD5 I eve@
      S: 206 3
    `,
      (p) => p.close(),
    );
    await assert.rejects(login({ handle: 'eve@' }), { name: 'LoginError', code: 206 });
    await dsSide;
  });

  it('rejects VER … 0 (no common dialect) with LoginError code 0', async () => {
    const dsSide = serve(ds, 'C: VER 1 MSNP1\nS: VER 1 0', (p) => p.close());
    await assert.rejects(login({ dialects: ['MSNP1'] }), { name: 'LoginError', code: 0 });
    await dsSide;
  });
});

describe('MsnClient.sync', () => {
  it('collects the session 1 dump, BPR lines included, into the model', async () => {
    const { client, peer } = await aliceSignedIn();
    client.conn.drain();
    const played = peer.play(SESSION1_NS_SYNC);
    const result = await client.sync(0);
    await played;
    assert.equal(result.upToDate, false);
    assert.equal(result.version, 12);
    assert.equal(result.lines.length, 23);
    assert.equal(result.lines.at(-1)?.line, 'LST 8 RL 12 2 2 carol@example.com Carol%20C');
    assert.equal(client.conn.pending, 0);
    assert.equal(client.version, 12);
    assert.equal(client.gtc, 'A');
    assert.equal(client.blp, 'AL');
    assert.equal(client.phones.PHH, '1%20(555)%200100');
    assert.deepEqual([...client.lists.FL.keys()], ['bob@example.com', 'carol@example.com']);
    assert.equal(client.contactPhones.get('bob@example.com')?.MOB, 'Y');
  });

  it('returns the single line when the version is current, keeping the model', async () => {
    const { client, peer } = await aliceSynced();
    const played = peer.play('C: SYN 9 12\nS: SYN 9 12');
    const result = await client.sync(12);
    await played;
    assert.deepEqual(result, { upToDate: true, version: 12, lines: [{ name: 'SYN', args: ['9', '12'], line: 'SYN 9 12' }] });
    assert.equal(client.lists.FL.size, 2);
  });

  it('also builds the model from a SYN sent at the wire level, MSNP7 groups included', async () => {
    const dsSide = serve(ds, SESSION17_DS, (p) => p.close());
    const nsSide = serve(ns, SESSION17_NS_LOGIN);
    const client = await login({
      handle: 'carol@example.com',
      password: 'carolpass',
      dialects: ['MSNP7', 'MSNP6', 'MSNP5', 'MSNP4', 'CVR0'],
    });
    await dsSide;
    const played = (await nsSide).play(SESSION17_NS_SYNC);
    assert.equal((await client.conn.request('SYN', 0)).line, 'SYN 8 50');
    await played;
    await client.conn.next((r) => r.line === 'LST 8 RL 50 1 1 alice@example.com Alice%20A');
    assert.equal(client.version, 50);
    assert.deepEqual(client.contactGroups.get('alice@example.com'), ['0', '1']);
    assert.equal(client.groups.get('1'), 'Friends');
  });
});

describe('MsnClient commands', () => {
  it('changeStatus resolves with the reply; ILN stays in the inbox and sets presence', async () => {
    const { client, peer } = await aliceSynced();
    const presence = record(client, 'presence');
    const played = peer.play(SESSION1_NS_CHG);
    assert.equal((await client.changeStatus('NLN')).line, 'CHG 9 NLN');
    assert.equal((await client.conn.next('ILN')).line, 'ILN 9 NLN bob@example.com Bob%20B');
    assert.equal(client.status, 'NLN');
    assert.deepEqual(client.presence.get('bob@example.com'), { status: 'NLN', name: 'Bob%20B' });
    assert.deepEqual(presence, [['bob@example.com', 'NLN', 'Bob%20B']]);
    const cvr = await client.conn.request('CVR', '0x0409', 'win', '4.10', 'i386', 'MSMSGS', '3.0.0286', 'MSMSGS');
    assert.equal(cvr.line, 'CVR 10 3.0.0286 3.0.0286 3.0.0286 http://www.example.com/download http://www.example.com/');
    await played;
  });

  it('add sends the handle as nickname by default and updates the model', async () => {
    const { client, peer } = await aliceSynced();
    const played = peer.play(`
      C: ADD 9 AL dave@example.com dave%40example.com
      S: ADD 9 AL 13 dave@example.com dave%40example.com
      C: ADD 10 FL dave@example.com Dave
      S: ADD 10 FL 14 dave@example.com Dave
      S: BPR 14 dave@example.com PHH
      S: ILN 10 NLN dave@example.com Dave%20D
    `);
    await client.add('AL', 'dave@example.com');
    assert.equal((await client.add('FL', 'dave@example.com', 'Dave')).line, 'ADD 10 FL 14 dave@example.com Dave');
    await played;
    await client.conn.next('ILN');
    assert.equal(client.version, 14);
    assert.equal(client.lists.FL.get('dave@example.com'), 'Dave');
    assert.deepEqual(client.contactPhones.get('dave@example.com'), { PHH: '' });
    assert.equal(client.presence.get('dave@example.com')?.status, 'NLN');
  });

  it('error replies reject with MsnpError and its code', async () => {
    const { client, peer } = await aliceSynced();
    const played = peer.play(`
      C: ADD 9 FL bob@example.com Bob
      S: 215 9
      C: REM 10 BL dave@example.com
      S: 216 10
      C: BLP 11 AL
      S: 218 11
    `);
    await assert.rejects(client.add('FL', 'bob@example.com', 'Bob'), (err: Error) => {
      assert.ok(err instanceof MsnpError);
      assert.equal(err.code, 215);
      assert.equal(err.request, 'ADD 9 FL bob@example.com Bob');
      assert.equal(err.reply.line, '215 9');
      return true;
    });
    await assert.rejects(client.remove('BL', 'dave@example.com'), { code: 216 });
    await assert.rejects(client.setBlp('AL'), { code: 218 });
    await played;
    assert.equal(client.version, 12);
  });

  it('remove, rename, setGtc, setBlp and setPhone send the right lines and update the model', async () => {
    const { client, peer } = await aliceSynced();
    const changes = record(client, 'list');
    const played = peer.play(`
      C: REM 9 FL carol@example.com
      S: REM 9 FL 13 carol@example.com
      C: REA 10 alice@example.com Alice%20in%20Wonderland
      S: REA 10 14 alice@example.com Alice%20in%20Wonderland
      C: REA 11 bob@example.com Bobby
      S: REA 11 15 bob@example.com Bobby
      C: GTC 12 N
      S: GTC 12 16 N
      C: BLP 13 BL
      S: BLP 13 17 BL
      C: PRP 14 PHH
      S: PRP 14 18 PHH
    `);
    await client.remove('FL', 'carol@example.com');
    await client.setFriendlyName('Alice%20in%20Wonderland');
    await client.rename('bob@example.com', 'Bobby');
    await client.setGtc('N');
    await client.setBlp('BL');
    await client.setPhone('PHH');
    await played;
    assert.equal(client.lists.FL.has('carol@example.com'), false);
    assert.equal(client.friendlyName, 'Alice%20in%20Wonderland');
    assert.equal(client.lists.FL.get('bob@example.com'), 'Bobby');
    assert.equal(client.gtc, 'N');
    assert.equal(client.blp, 'BL');
    assert.equal(client.phones.PHH, '');
    assert.equal(client.version, 18);
    assert.deepEqual(
      changes.map(([c]) => c.kind),
      ['remove', 'rename', 'rename', 'setting', 'setting', 'phone'],
    );
  });

  it('fetchList returns the LST lines and replaces that list', async () => {
    const { client, peer } = await aliceSynced();
    const played = peer.play('C: LST 9 AL\nS: LST 9 AL 12 1 1 bob@example.com Bob%20B');
    const lines = await client.fetchList('AL');
    await played;
    assert.deepEqual(
      lines.map((r) => r.line),
      ['LST 9 AL 12 1 1 bob@example.com Bob%20B'],
    );
    assert.deepEqual([...client.lists.AL.keys()], ['bob@example.com']);
  });

  it('requestSwitchboard parses XFR SB', async () => {
    const { client, peer } = await aliceSynced();
    const played = peer.play('C: XFR 9 SB\nS: XFR 9 SB 192.0.2.20:1864 CKI 1188043211.6624.1357');
    assert.deepEqual(await client.requestSwitchboard(), { host: '192.0.2.20', port: 1864, cookie: '1188043211.6624.1357' });
    await played;
  });

  it('ping sends PNG and waits for QNG', async () => {
    const { client, peer } = await aliceSynced();
    const played = peer.play('C: PNG\nS: QNG');
    assert.equal(typeof (await client.ping()), 'number');
    await played;
  });

  it('signOut sends OUT and waits for OUT and the close', async () => {
    const { client, peer } = await aliceSynced();
    const out = record(client, 'out');
    const closed = record(client, 'closed');
    const played = serveOut(peer);
    await client.signOut();
    await played;
    assert.equal(client.conn.isClosed, true);
    assert.deepEqual(out, [['']]);
    assert.equal(closed.length, 1);
  });
});

async function serveOut(peer: ScriptPeer): Promise<void> {
  await peer.play('C: OUT\nS: OUT');
  peer.close();
}

describe('MsnClient pushes', () => {
  it('updates the model and emits events even when the lines are taken with conn.next', async () => {
    const { client, peer } = await aliceSynced();
    const changes = record(client, 'list');
    const presence = record(client, 'presence');
    peer.send(
      'ADD 0 RL 13 dave@example.com Dave%20D',
      'NLN BSY bob@example.com Bob%20B',
      'BPR 14 bob@example.com PHH 5',
      'REM 0 RL 15 carol@example.com',
      'FLN bob@example.com',
    );
    for (const name of ['ADD', 'NLN', 'BPR', 'REM', 'FLN']) await client.conn.next(name);
    assert.equal(client.lists.RL.get('dave@example.com'), 'Dave%20D');
    assert.equal(client.lists.RL.has('carol@example.com'), false);
    assert.equal(client.contactPhones.get('bob@example.com')?.PHH, '5');
    assert.equal(client.presence.size, 0);
    assert.equal(client.version, 15);
    assert.deepEqual(
      changes.map(([c]) => `${c.kind} ${c.version}`),
      ['add 13', 'phone 14', 'remove 15'],
    );
    assert.deepEqual(presence, [
      ['bob@example.com', 'BSY', 'Bob%20B'],
      ['bob@example.com', null, null],
    ]);
  });

  it('emits ring, message, alert, out and closed', async () => {
    const { client, peer } = await aliceSynced();
    const rings = record(client, 'ring');
    const messages = record(client, 'message');
    const alerts = record(client, 'alert');
    const outs = record(client, 'out');
    const closed = record(client, 'closed');
    peer.send('RNG 11752013 192.0.2.20:1864 CKI 1188043212.9910.2468 bob@example.com Bob%20B');
    peer.sendPayload('MSG Hotmail Hotmail', 'MIME-Version: 1.0\r\n\r\n');
    peer.sendPayload('NOT', '<NOTIFICATION/>');
    peer.send('OUT OTH');
    peer.close();
    await client.conn.closed;
    assert.deepEqual(rings, [
      [
        {
          host: '192.0.2.20',
          port: 1864,
          cookie: '1188043212.9910.2468',
          sessionId: '11752013',
          callerHandle: 'bob@example.com',
          callerName: 'Bob%20B',
        },
      ],
    ]);
    assert.equal(messages.length, 1);
    assert.equal(alerts[0]?.[0].payload?.toString(), '<NOTIFICATION/>');
    assert.deepEqual(outs, [['OTH']]);
    assert.equal(closed.length, 1);
  });
});
