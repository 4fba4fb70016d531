import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { before, test } from 'node:test';
import { MsnpConnection } from '../../src/client/connection.ts';
import type { SwitchboardInvitation } from '../../src/client/referrals.ts';
import { useMsnd } from '../helpers/msnd.ts';

const server = useMsnd();

before(async () => {
  await server.addUsers({ handle: 'alice@example.com', password: 'a' }, { handle: 'bob@example.com', password: 'b' });
});

/** Reads from a raw socket until `pattern` has been seen. */
async function readUntil(socket: Socket, pattern: RegExp): Promise<string> {
  let text = '';
  while (!pattern.test(text)) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    text += chunk.toString('latin1');
  }
  return text;
}

test('a switchboard peer that stops reading is dropped instead of buffered without bound', async () => {
  const alice = await server.online('alice@example.com');
  const bob = await server.online('bob@example.com');
  const ticket = await alice.requestSwitchboard();
  const lazy = connect(ticket.port, ticket.host);
  await once(lazy, 'connect');
  lazy.write(`USR 1 alice@example.com ${ticket.cookie}\r\n`);
  await readUntil(lazy, /USR 1 OK/);
  const ringing = once(bob, 'ring') as Promise<[SwitchboardInvitation]>;
  lazy.write('CAL 2 bob@example.com\r\n');
  const [invitation] = await ringing;
  const bobSb = await MsnpConnection.connect(ticket.host, ticket.port);
  await bobSb.request('ANS', 'bob@example.com', invitation.cookie, invitation.sessionId);
  await readUntil(lazy, /JOI bob@example\.com/);
  lazy.pause();

  const payload = Buffer.alloc(1600, 'x');
  for (let i = 0; i < 10_000 && !bobSb.isClosed; i++) {
    bobSb.sendPayload('MSG', [bobSb.nextTrId(), 'U'], payload);
    if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const bye = await bobSb.next((r) => r.name === 'BYE', 10_000);
  assert.equal(bye.line, 'BYE alice@example.com');
  lazy.destroy();
  bobSb.close();
});
