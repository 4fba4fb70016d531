import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MsnpConnection } from '../../src/client/connection.ts';
import type { ConnectOptions } from '../../src/client/connection.ts';
import { ConnectionClosedError, WaitTimeoutError } from '../../src/client/errors.ts';
import type { Received } from '../../src/client/received.ts';
import { ScriptServer } from './script-server.ts';
import type { ScriptPeer } from './script-server.ts';

let server: ScriptServer;
let conn: MsnpConnection;
let peer: ScriptPeer;

async function open(opts: ConnectOptions = {}): Promise<void> {
  conn = await MsnpConnection.connect('127.0.0.1', server.port, opts);
  peer = await server.nextPeer();
}

beforeEach(async () => {
  server = await ScriptServer.start();
});

afterEach(async () => {
  conn?.close();
  await server.stop();
});

describe('MsnpConnection: sending', () => {
  it('writes lines exactly, skips empty args, and counts TrIDs from 1', async () => {
    await open();
    assert.equal(conn.nextTrId(), 1);
    assert.equal(conn.nextTrId(), 2);
    conn.send('VER', 1, 'MSNP5', 'CVR0');
    conn.send('PRP', 3, 'PHW', '');
    conn.send('PNG');
    await peer.expect('VER 1 MSNP5 CVR0');
    await peer.expect('PRP 3 PHW');
    await peer.expect('PNG');
  });

  it('starts TrIDs at firstTrId when given', async () => {
    await open({ firstTrId: 4 });
    assert.equal(conn.nextTrId(), 4);
  });

  it('sendPayload appends the byte length of the UTF-8 payload', async () => {
    await open();
    conn.sendPayload('MSG', [1, 'A'], 'Café');
    await sleep(50);
    assert.deepEqual(peer.bytes, Buffer.from('MSG 1 A 5\r\nCafé', 'utf8'));
  });

  it('sendRaw writes bytes unchanged, for malformed input', async () => {
    await open();
    conn.sendRaw('ver 1 MSNP5\n');
    conn.sendRaw(Buffer.from([0xff, 0x0d, 0x0a]));
    await sleep(50);
    assert.deepEqual(peer.bytes, Buffer.from([...Buffer.from('ver 1 MSNP5\n'), 0xff, 0x0d, 0x0a]));
  });

  it('refuses a token that would split the line', async () => {
    await open();
    assert.throws(() => conn.send('REA', 1, 'a b'), RangeError);
  });

  it('emits sent with TrID and length included', async () => {
    await open();
    const sent: string[] = [];
    conn.on('sent', (name, args) => sent.push([name, ...args].join(' ')));
    conn.send('SYN', 1, 0);
    conn.sendPayload('QRY', [2, 'msmsgs@msnmsgr.com'], 'x'.repeat(32));
    assert.deepEqual(sent, ['SYN 1 0', 'QRY 2 msmsgs@msnmsgr.com 32']);
  });
});

describe('MsnpConnection: requests', () => {
  it('request resolves with the line carrying its TrID and leaves the others in the inbox', async () => {
    await open();
    const reply = conn.request('CHG', 'NLN');
    await peer.expect('CHG 1 NLN');
    // BPR's first argument is a version, not a TrID: it must not be taken as the reply
    peer.send('NLN NLN bob@example.com Bob%20B', 'BPR 1 bob@example.com PHH', 'CHG 1 NLN', 'ILN 1 NLN bob@example.com Bob%20B');
    assert.deepEqual(await reply, { name: 'CHG', args: ['1', 'NLN'], line: 'CHG 1 NLN' });
    assert.equal((await conn.next()).line, 'NLN NLN bob@example.com Bob%20B');
    assert.equal((await conn.next()).line, 'BPR 1 bob@example.com PHH');
    assert.equal((await conn.next()).line, 'ILN 1 NLN bob@example.com Bob%20B');
  });

  it('request resolves with a 3-digit error code reply', async () => {
    await open();
    const reply = conn.request('ADD', 'FL', 'dave@example.com', 'dave%40example.com');
    await peer.expect('ADD 1 FL dave@example.com dave%40example.com');
    peer.send('215 1');
    assert.equal((await reply).line, '215 1');
  });

  it('requestPayload sends the payload and matches the reply', async () => {
    await open();
    const reply = conn.requestPayload('MSG', ['A'], 'hi');
    await sleep(50);
    assert.equal(peer.bytes.toString(), 'MSG 1 A 2\r\nhi');
    peer.send('ACK 1');
    assert.equal((await reply).line, 'ACK 1');
  });

  it('requestAll collects every line with the TrID until isLast', async () => {
    await open();
    const isLast = (r: Received): boolean => r.args[3] === r.args[4];
    const lines = conn.requestAll('LST', ['FL'], isLast);
    await peer.expect('LST 1 FL');
    peer.send('LST 1 FL 12 1 2 bob@example.com Bob%20B', 'QNG', 'LST 1 FL 12 2 2 carol@example.com Carol%20C', 'LST 1 AL 12 0 0');
    assert.deepEqual(
      (await lines).map((r) => r.line),
      ['LST 1 FL 12 1 2 bob@example.com Bob%20B', 'LST 1 FL 12 2 2 carol@example.com Carol%20C'],
    );
    assert.deepEqual(
      conn.drain().map((r) => r.line),
      ['QNG', 'LST 1 AL 12 0 0'],
    );
  });

  it('requestAll stops at an error code', async () => {
    await open();
    const lines = conn.requestAll('LST', ['FL'], () => false);
    peer.send('500 1');
    assert.deepEqual(
      (await lines).map((r) => r.line),
      ['500 1'],
    );
  });
});

describe('MsnpConnection: receiving payload commands', () => {
  it('frames MSG, NOT and IPG by their byte length, across chunks', async () => {
    await open();
    peer.write('MSG Hotmail Hotmail 7\r\nCaf');
    await sleep(20);
    peer.write(Buffer.concat([Buffer.from('é\r\n', 'utf8'), Buffer.from('NOT 3\r\n<a>IPG 0\r\nQNG\r\n')]));
    const msg = await conn.next();
    assert.equal(msg.line, 'MSG Hotmail Hotmail 7');
    assert.deepEqual(msg.args, ['Hotmail', 'Hotmail', '7']);
    assert.equal(msg.payload?.toString('utf8'), 'Café\r\n');
    const not = await conn.next();
    assert.equal(not.line, 'NOT 3');
    assert.equal(not.payload?.toString(), '<a>');
    const ipg = await conn.next();
    assert.equal(ipg.line, 'IPG 0');
    assert.equal(ipg.payload?.length, 0);
    const qng = await conn.next();
    assert.deepEqual(qng, { name: 'QNG', args: [], line: 'QNG' });
  });

  it('accepts a bare LF and ignores empty lines', async () => {
    await open();
    peer.write('\r\nQNG\nCHG 0 NLN\r\n');
    assert.equal((await conn.next()).line, 'QNG');
    assert.equal((await conn.next()).line, 'CHG 0 NLN');
  });

  it('closes on a payload over 65536 bytes', async () => {
    await open();
    peer.write('MSG a b 65537\r\n');
    await conn.waitClosed();
    assert.match(conn.closeReason ?? '', /payload-too-large/);
  });

  it('closes on a payload length that is not a number', async () => {
    await open();
    peer.write('NOT x\r\n');
    await conn.waitClosed();
    assert.match(conn.closeReason ?? '', /bad-payload-length/);
  });
});

describe('MsnpConnection: next, expectNothing, drain', () => {
  it('next takes the first match and leaves the rest in order', async () => {
    await open();
    peer.send('QNG', 'NLN NLN a@b.com A', 'FLN a@b.com');
    assert.equal((await conn.next((r) => r.name === 'FLN')).line, 'FLN a@b.com');
    assert.equal((await conn.next('QNG')).line, 'QNG');
    assert.equal(conn.pending, 1);
  });

  it('next times out with an error naming what was received', async () => {
    await open();
    peer.send('QNG');
    await conn.next('QNG');
    peer.send('NLN NLN a@b.com A');
    await assert.rejects(conn.next('ILN', 100), (err: Error) => {
      assert.ok(err instanceof WaitTimeoutError);
      assert.match(err.message, /timed out after 100ms waiting for command ILN/);
      assert.match(err.message, /unclaimed: \["NLN NLN a@b.com A"\]/);
      assert.match(err.message, /last received: \["QNG", "NLN NLN a@b.com A"\]/);
      return true;
    });
  });

  it('a pending next rejects when the server closes; earlier lines stay available', async () => {
    await open();
    const waiting = conn.next('ILN', 2000);
    peer.send('OUT OTH');
    peer.close();
    await assert.rejects(waiting, (err: Error) => {
      assert.ok(err instanceof ConnectionClosedError);
      assert.match(err.message, /closed by server/);
      assert.match(err.message, /OUT OTH/);
      return true;
    });
    await assert.rejects(conn.next('ILN'), ConnectionClosedError);
    assert.equal((await conn.next('OUT')).line, 'OUT OTH');
  });

  it('expectNothing resolves when nothing matching arrives', async () => {
    await open();
    peer.send('QNG');
    await conn.expectNothing('NLN', 100);
  });

  it('expectNothing rejects when a matching line arrives in the window', async () => {
    await open();
    setTimeout(() => peer.send('FLN a@b.com'), 30);
    await assert.rejects(conn.expectNothing(undefined, 300), /received "FLN a@b.com"/);
  });

  it('expectNothing rejects when a matching line is already waiting', async () => {
    await open();
    peer.send('FLN a@b.com');
    await sleep(30);
    await assert.rejects(conn.expectNothing('FLN'), /"FLN a@b.com" is in the inbox/);
  });

  it('drain returns and empties the inbox', async () => {
    await open();
    peer.send('QNG', 'QNG');
    await sleep(30);
    assert.equal(conn.drain().length, 2);
    assert.deepEqual(conn.drain(), []);
  });

  it('with inboxLimit, the oldest unclaimed lines are dropped but requests still work', async () => {
    await open({ inboxLimit: 2 });
    peer.send('NLN NLN a@b.com A', 'NLN NLN b@b.com B', 'NLN NLN c@b.com C');
    await sleep(30);
    const reply = conn.request('CHG', 'BSY');
    peer.send('CHG 1 BSY');
    assert.equal((await reply).line, 'CHG 1 BSY');
    assert.deepEqual(
      conn.drain().map((r) => r.args[1]),
      ['b@b.com', 'c@b.com'],
    );
  });

  it('request rejects (not throws) once the connection is closed', async () => {
    await open();
    peer.close();
    await conn.closed;
    const reply = conn.request('PNG');
    await assert.rejects(reply, ConnectionClosedError);
  });

  it('emits received for every line before it reaches the inbox', async () => {
    await open();
    const seen: string[] = [];
    conn.on('received', (r) => seen.push(`${r.line} pending=${conn.pending}`));
    peer.send('QNG', 'QNG');
    await sleep(30);
    assert.deepEqual(seen, ['QNG pending=0', 'QNG pending=1']);
  });

  it('the log hook sees both directions', async () => {
    const log: string[] = [];
    await open({ log: (direction, line) => log.push(`${direction}: ${line}`) });
    const reply = conn.request('PNG');
    peer.send('PNG 1');
    await reply;
    conn.sendRaw('x\r\n');
    assert.deepEqual(log, ['C: PNG 1', 'S: PNG 1', 'C: "x\\r\\n"']);
  });
});

describe('MsnpConnection: closing', () => {
  it('closed resolves when the server closes, and sending then throws', async () => {
    await open();
    assert.equal(conn.isClosed, false);
    peer.close();
    await conn.closed;
    assert.equal(conn.isClosed, true);
    assert.equal(conn.closeReason, 'closed by server');
    assert.throws(() => conn.send('PNG'), ConnectionClosedError);
  });

  it('emits closed', async () => {
    await open();
    let emitted = false;
    conn.on('closed', () => (emitted = true));
    peer.close();
    await conn.closed;
    assert.equal(emitted, true);
  });

  it('close() ends the connection from the client side', async () => {
    await open();
    conn.close();
    await conn.closed;
    await peer.clientEnded;
    assert.equal(conn.closeReason, 'closed by client');
  });

  it('end() half-closes; the connection is closed once the server closes too', async () => {
    await open();
    conn.send('OUT');
    conn.end();
    await peer.expect('OUT');
    await peer.clientEnded;
    peer.send('OUT');
    peer.close();
    await conn.closed;
    assert.equal((await conn.next()).line, 'OUT');
  });

  it('waitClosed rejects while the connection stays open', async () => {
    await open();
    await assert.rejects(conn.waitClosed(50), WaitTimeoutError);
  });

  it('connect rejects when nothing listens', async () => {
    const gone = await ScriptServer.start();
    const port = gone.port;
    await gone.stop();
    await assert.rejects(MsnpConnection.connect('127.0.0.1', port), /ECONNREFUSED/);
  });
});
