// SwitchboardSession against the scripted server, with the lines of sessions.md session 12.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MsnClient } from '../../src/client/client.ts';
import { MsnpConnection } from '../../src/client/connection.ts';
import { MsnpError } from '../../src/client/errors.ts';
import { toReceived } from '../../src/client/received.ts';
import type { SwitchboardInvitation } from '../../src/client/referrals.ts';
import { NotDeliveredError, SwitchboardSession, nextInvitation, toMessage } from '../../src/client/switchboard.ts';
import type { SwitchboardEvents, SwitchboardMessage } from '../../src/client/switchboard.ts';
import { PAYLOADS } from '../helpers/switchboard.ts';
import { ScriptServer } from './script-server.ts';
import type { ScriptPeer } from './script-server.ts';

let ns: ScriptServer;
let sb: ScriptServer;
const closers: (() => void)[] = [];

beforeEach(async () => {
  ns = await ScriptServer.start();
  sb = await ScriptServer.start();
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await ns.stop();
  await sb.stop();
});

const SB = (): string => `127.0.0.1:${sb.port}`;
const XFR_COOKIE = '1188043211.6624.1357';
const RNG_COOKIE = '1188043212.9910.2468';

/** An NS session whose model knows who it is (the scripted NS sends `USR 7 OK …` unasked). */
async function nsClient(handle: string, name: string, firstTrId = 100): Promise<{ client: MsnClient; peer: ScriptPeer }> {
  const conn = await MsnpConnection.connect('127.0.0.1', ns.port, { firstTrId });
  const client = new MsnClient(conn);
  closers.push(() => client.close());
  const peer = await ns.nextPeer();
  peer.send(`USR 7 OK ${handle} ${name}`);
  await client.conn.next('USR');
  return { client, peer };
}

/** Reads exactly the bytes the client sent on a scripted connection, in order. */
class Wire {
  #expected = Buffer.alloc(0);

  constructor(readonly peer: ScriptPeer) {}

  /** Waits until the client has sent `line` CR LF and then `payload` (if any); asserts every byte so far. */
  async expect(line: string, payload: string | Buffer = ''): Promise<void> {
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    this.#expected = Buffer.concat([this.#expected, Buffer.from(`${line}\r\n`, 'latin1'), bytes]);
    const deadline = Date.now() + 2000;
    while (this.peer.bytes.length < this.#expected.length && Date.now() < deadline) await sleep(5);
    assert.equal(this.peer.bytes.toString('latin1'), this.#expected.toString('latin1'));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function record<K extends keyof SwitchboardEvents>(session: SwitchboardSession, event: K): SwitchboardEvents[K][] {
  const seen: SwitchboardEvents[K][] = [];
  const listener = (...args: SwitchboardEvents[K]): void => void seen.push(args);
  (session.on as (e: K, l: typeof listener) => SwitchboardSession)(event, listener);
  return seen;
}

function sendPayload(peer: ScriptPeer, line: string, payload: string | Buffer): void {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  peer.write(Buffer.concat([Buffer.from(`${line} ${bytes.length}\r\n`, 'latin1'), bytes]));
}

/** Alice's side of session 12 up to `JOI bob`; returns her session and the scripted SB. */
async function aliceWithBob(): Promise<{ alice: SwitchboardSession; wire: Wire; peer: ScriptPeer }> {
  const { client, peer: nsPeer } = await nsClient('alice@example.com', 'Alice%20A');
  const xfr = nsPeer.play(`C: XFR 100 SB\nS: XFR 100 SB ${SB()} CKI ${XFR_COOKIE}`);
  const opening = SwitchboardSession.open(client);
  await xfr;
  const peer = await sb.nextPeer();
  const wire = new Wire(peer);
  await wire.expect(`USR 1 alice@example.com ${XFR_COOKIE}`);
  peer.send('USR 1 OK alice@example.com Alice%20A');
  const alice = await opening;
  closers.push(() => alice.close());
  const inviting = alice.invite('bob@example.com');
  await wire.expect('CAL 2 bob@example.com');
  peer.send('CAL 2 RINGING 11752013');
  assert.equal(await inviting, '11752013');
  peer.send('JOI bob@example.com Bob%20B');
  await alice.conn.next('JOI');
  return { alice, wire, peer };
}

describe('SwitchboardSession.open (session 12, alice-SB)', () => {
  it('asks the NS for a switchboard, signs in with USR and knows the session id from CAL', async () => {
    const { alice } = await aliceWithBob();
    assert.equal(alice.handle, 'alice@example.com');
    assert.equal(alice.friendlyName, 'Alice%20A');
    assert.equal(alice.sessionId, '11752013');
    assert.deepEqual([...alice.participants], [['bob@example.com', 'Bob%20B']]);
  });

  it('sends typing, a text message in mode A and waits for ACK; NAK rejects; leave sends OUT', async () => {
    const { alice, wire, peer } = await aliceWithBob();
    const acks = record(alice, 'ack');
    assert.equal(await alice.sendTyping(), 3);
    await wire.expect('MSG 3 U 90', PAYLOADS.typingAlice);
    const sending = alice.send('Hi Bob!', { mode: 'A' });
    await wire.expect('MSG 4 A 131', PAYLOADS.hiBob);
    peer.send('ACK 4');
    assert.equal(await sending, 4);
    assert.deepEqual(acks, [[4]]);

    sendPayload(peer, 'MSG bob@example.com Bob%20B', PAYLOADS.heyAlice);
    const hey = await alice.nextMessage();
    assert.deepEqual(
      { ...hey, payload: hey.payload.toString() },
      {
        from: 'bob@example.com',
        name: 'Bob%20B',
        payload: PAYLOADS.heyAlice,
        contentType: 'text/plain; charset=UTF-8',
        headers: { 'MIME-Version': '1.0', 'Content-Type': 'text/plain; charset=UTF-8' },
        body: "Hey Alice, what's up?",
      },
    );
    const left = record(alice, 'left');
    peer.send('BYE bob@example.com');
    await alice.conn.next('BYE');
    assert.deepEqual(left, [['bob@example.com', false]]);
    assert.equal(alice.participants.size, 0);

    const failing = alice.send('Anyone there?', { mode: 'A', format: null });
    await wire.expect('MSG 5 A 75', PAYLOADS.anyoneThere);
    peer.send('NAK 5');
    await assert.rejects(failing, (err: unknown) => err instanceof NotDeliveredError && err.trId === 5);

    const leaving = alice.leave();
    await wire.expect('OUT');
    peer.close();
    await leaving;
    assert.equal(alice.conn.isClosed, true);
  });

  it('mode N resolves at once and reports a NAK as an event; sendPayload sends any bytes', async () => {
    const { alice, wire, peer } = await aliceWithBob();
    const naks = record(alice, 'nak');
    assert.equal(await alice.send('x', { mode: 'N', format: 'FN=Arial; EF=B; CO=ff; CS=0; PF=22' }), 3);
    await wire.expect(
      'MSG 3 N 116',
      'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=Arial; EF=B; CO=ff; CS=0; PF=22\r\n\r\nx',
    );
    peer.send('NAK 3');
    await alice.conn.next('NAK');
    assert.deepEqual(naks, [[3]]);
    const raw = Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x80]);
    assert.equal(await alice.sendPayload('U', raw), 4);
    await wire.expect('MSG 4 U 6', raw);
    assert.equal(await alice.sendPayload('N', ''), 5);
    await wire.expect('MSG 5 N 0');
  });

  it('keeps every relayed message, parsed, even when conn.next takes the line', async () => {
    const { alice, peer } = await aliceWithBob();
    const events = record(alice, 'message');
    const bytes = Buffer.from([0xc3, 0x28, 0x00, 0xff]);
    sendPayload(peer, 'MSG bob@example.com Bob%20New', bytes);
    sendPayload(peer, 'MSG bob@example.com Bob%20New', PAYLOADS.fileInvite);
    const first = await alice.conn.next('MSG');
    assert.equal(first.line, 'MSG bob@example.com Bob%20New 4');
    const invite = await alice.nextMessage();
    assert.equal(invite.contentType, 'text/x-msmsgsinvite; charset=UTF-8');
    assert.equal(invite.body.split('\r\n')[2], 'Invitation-Command: INVITE');
    assert.equal(alice.messages.length, 2);
    assert.ok(alice.messages[0]!.payload.equals(bytes));
    assert.equal(alice.messages[0]!.contentType, '');
    assert.equal(events.length, 2);
    assert.equal((events[1]![0] as SwitchboardMessage).name, 'Bob%20New');
    // the relayed line carries the sender's current name
    assert.equal(alice.participants.get('bob@example.com'), 'Bob%20New');
  });

  it('reports a server-side removal as BYE handle 1', async () => {
    const { alice, peer } = await aliceWithBob();
    const left = record(alice, 'left');
    const closed = record(alice, 'closed');
    peer.send('BYE bob@example.com 1');
    await alice.conn.next('BYE');
    peer.close();
    await alice.conn.closed;
    assert.deepEqual(left, [['bob@example.com', true]]);
    assert.equal(closed.length, 1);
  });
});

describe('SwitchboardSession errors', () => {
  it('USR refused: open rejects with MsnpError 911 and closes', async () => {
    const { client, peer: nsPeer } = await nsClient('bob@example.com', 'Bob%20B', 15);
    const xfr = nsPeer.play(`C: XFR 15 SB\nS: XFR 15 SB ${SB()} CKI 1188043299.0000.0000`);
    const opening = SwitchboardSession.open(client);
    await xfr;
    const peer = await sb.nextPeer();
    await peer.play('C: USR 1 bob@example.com 1188043299.0000.0000\nS: 911 1');
    await assert.rejects(
      opening,
      (err: unknown) => err instanceof MsnpError && err.code === 911 && err.request === 'USR 1 bob@example.com 1188043299.0000.0000',
    );
    await peer.clientEnded;
  });

  it('XFR refused: open rejects with the NS error code', async () => {
    const { client, peer } = await nsClient('alice@example.com', 'Alice%20A');
    const played = peer.play('C: XFR 100 SB\nS: 913 100');
    await assert.rejects(SwitchboardSession.open(client), (err: unknown) => err instanceof MsnpError && err.code === 913);
    await played;
  });

  for (const code of [208, 215, 217, 713]) {
    it(`CAL answered ${code} rejects with MsnpError ${code}; the session stays usable`, async () => {
      const { alice, wire, peer } = await aliceWithBob();
      const inviting = alice.invite('carol@example.com');
      await wire.expect('CAL 3 carol@example.com');
      peer.send(`${code} 3`);
      await assert.rejects(
        inviting,
        (err: unknown) => err instanceof MsnpError && err.code === code && err.request === 'CAL 3 carol@example.com',
      );
      const again = alice.invite('dave@example.com');
      await wire.expect('CAL 4 dave@example.com');
      peer.send('CAL 4 RINGING 11752013');
      assert.equal(await again, '11752013');
    });
  }

  it('ANS refused: answer rejects with MsnpError 911', async () => {
    const { client } = await nsClient('bob@example.com', 'Bob%20B');
    const invitation: SwitchboardInvitation = {
      host: '127.0.0.1',
      port: sb.port,
      cookie: RNG_COOKIE,
      sessionId: '11752013',
      callerHandle: 'alice@example.com',
      callerName: 'Alice%20A',
    };
    const answering = SwitchboardSession.answer(client, invitation);
    const peer = await sb.nextPeer();
    await peer.play(`C: ANS 1 bob@example.com ${RNG_COOKIE} 11752013\nS: 911 1`);
    await assert.rejects(answering, (err: unknown) => err instanceof MsnpError && err.code === 911);
  });
});

describe('SwitchboardSession.answer (session 12, bob-SB)', () => {
  it('answers the ring event with ANS and keeps the IRO roster; JOI and BYE update it', async () => {
    const { client, peer: nsPeer } = await nsClient('bob@example.com', 'Bob%20B');
    const rung = new Promise<SwitchboardInvitation>((resolve) => client.once('ring', resolve));
    nsPeer.send(`RNG 11752013 ${SB()} CKI ${RNG_COOKIE} alice@example.com Alice%20A`);
    const answering = SwitchboardSession.answer(client, await rung);
    const peer = await sb.nextPeer();
    const wire = new Wire(peer);
    await wire.expect(`ANS 1 bob@example.com ${RNG_COOKIE} 11752013`);
    peer.send('IRO 1 1 2 alice@example.com Alice%20A', 'IRO 1 2 2 carol@example.com Carol%20C', 'ANS 1 OK');
    const bob = await answering;
    closers.push(() => bob.close());
    assert.equal(bob.sessionId, '11752013');
    assert.equal(bob.friendlyName, 'Bob%20B');
    assert.deepEqual(
      [...bob.participants],
      [
        ['alice@example.com', 'Alice%20A'],
        ['carol@example.com', 'Carol%20C'],
      ],
    );
    const joined = record(bob, 'joined');
    peer.send('JOI dave@example.com Dave%20D', 'BYE carol@example.com');
    await bob.conn.next('BYE');
    assert.deepEqual(joined, [['dave@example.com', 'Dave%20D']]);
    assert.deepEqual([...bob.participants.keys()], ['alice@example.com', 'dave@example.com']);

    sendPayload(peer, 'MSG alice@example.com Alice%20A', PAYLOADS.typingAlice);
    const typing = await bob.nextMessage();
    assert.equal(typing.contentType, 'text/x-msmsgscontrol');
    assert.equal(typing.headers.TypingUser, 'alice@example.com');
    assert.equal(typing.body, '\r\n');
    await bob.send("Hey Alice, what's up?", { format: null });
    await wire.expect('MSG 2 N 83', PAYLOADS.heyAlice);
  });

  it('answers an RNG line taken with nextInvitation; ANS OK alone means an empty roster', async () => {
    const { client, peer: nsPeer } = await nsClient('carol@example.com', 'Carol%20C');
    nsPeer.send(`RNG 99 ${SB()} CKI c.1 alice@example.com Alice%20A`);
    const invitation = await nextInvitation(client);
    assert.equal(invitation.callerName, 'Alice%20A');
    const answering = SwitchboardSession.join('carol@example.com', toReceived('RNG', ['99', SB(), 'CKI', 'c.1', 'a@b.cd', 'A']));
    const peer = await sb.nextPeer();
    await peer.play('C: ANS 1 carol@example.com c.1 99\nS: ANS 1 OK');
    const carol = await answering;
    closers.push(() => carol.close());
    assert.equal(carol.participants.size, 0);
    assert.equal(carol.friendlyName, undefined);
  });

  it('rejects what is not an invitation', async () => {
    await assert.rejects(SwitchboardSession.join('a@b.cd', toReceived('RNG', ['99', 'nohost', 'CKI', 'c'])), TypeError);
    assert.throws(() => toMessage(toReceived('JOI', ['a@b.cd', 'A'])));
  });
});
