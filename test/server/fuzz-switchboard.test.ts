/**
 * The Switchboard under random input, over TCP (MSNP5.md 11, 3.6, 3.7): in a session of three, one
 * participant sends random sequences of commands (MSG in every mode with lengths that may lie, CAL,
 * ANS/USR again, BYE, OUT, misspelt and unknown commands, random tokens). The server answers it only
 * with well-formed lines or closes it; the others only ever receive well-formed lines (relayed
 * messages exactly as sent, JOI, BYE); nothing throws; and a new switchboard session works afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { MsnClient } from '../../src/client/client.ts';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { nextInvitation, SwitchboardSession } from '../../src/client/switchboard.ts';
import { useMsnd } from '../helpers/msnd.ts';

const USERS = ['sam@example.com', 'tom@example.com', 'uma@example.com'] as const;
const WELL_FORMED = /^([A-Z]{3}|\d{3})( [^ \r\n]+)*$/;

const TOKEN = fc.oneof(
  fc.constantFrom(...USERS, 'ghost@example.com', '@@', 'a@b', 'U', 'N', 'A', 'D', '0', '4294967296', 'x'.repeat(200)),
  fc.string({ minLength: 1, maxLength: 10 }).map((s) => s.replace(/[\s\x00-\x1f]/g, 'y') || 'y'),
);
const TRID = fc.oneof(fc.nat({ max: 99 }).map(String), fc.constantFrom('x', '-1', '99999999999'));
const LINE = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(TRID, fc.constantFrom('U', 'N', 'A', 'D', 'u'), fc.nat({ max: 60 }), fc.nat({ max: 60 }))
      .map(([t, mode, announced, sent]) => `MSG ${t} ${mode} ${announced}\r\n${'m'.repeat(sent)}`),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('CAL', 'ANS', 'USR', 'BYE', 'OUT', 'IRO', 'JOI', 'XFR', 'msg', 'FOO', 'PNG'),
        TRID,
        fc.array(TOKEN, { maxLength: 4 }),
      )
      .map(([c, t, a]) => `${[c, t, ...a].join(' ')}\r\n`),
  },
  { weight: 1, arbitrary: fc.constantFrom('\r\n', 'OUT\r\n', `CAL 7 ${USERS[2]}\r\n`) },
);

const s = useMsnd({ limits: { refusedCalls: 1000, switchboardRequests: 1000 } });
const crashes: unknown[] = [];
const onCrash = (error: unknown) => crashes.push(error);
const clients: MsnClient[] = [];

before(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  await s.addUsers(...USERS.map((handle) => ({ handle, password: 'pw' })));
  for (const handle of USERS) clients.push(await s.online(handle));
});

after(() => {
  for (const client of clients) client.close();
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
});

/** A session of all three: the first user opens it and invites the other two. */
async function sessionOfThree(): Promise<SwitchboardSession[]> {
  const [sam, tom, uma] = clients as [MsnClient, MsnClient, MsnClient];
  const opener = await SwitchboardSession.open(sam);
  const joined = [opener];
  for (const invitee of [tom, uma]) {
    const ringing = nextInvitation(invitee);
    await opener.invite(invitee.handle);
    joined.push(await SwitchboardSession.answer(invitee, await ringing));
  }
  await opener.conn.next((r) => r.name === 'JOI' && r.args[0] === USERS[2]);
  for (const sb of joined) sb.conn.drain();
  return joined;
}

async function settle(conn: MsnpConnection): Promise<void> {
  await Promise.race([conn.waitClosed(300).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 100))]);
}

/** Sends the lines as one participant; checks what it and the others receive. */
async function check(sender: SwitchboardSession, others: SwitchboardSession[], lines: string[]): Promise<void> {
  const where = JSON.stringify(lines);
  for (const line of lines) {
    if (sender.conn.isClosed) break;
    sender.conn.sendRaw(line);
  }
  await settle(sender.conn);
  for (const r of sender.conn.drain()) assert.match(r.line, WELL_FORMED, where);
  for (const other of others) {
    await settle(other.conn);
    for (const r of other.conn.drain()) {
      assert.match(r.line, WELL_FORMED, where);
      assert.ok(['MSG', 'BYE', 'JOI'].includes(r.name), `${r.line} after ${where}`);
      if (r.name === 'MSG') assert.equal(r.line, `MSG ${USERS[0]} ${USERS[0]} ${r.payload!.length}`, where);
    }
  }
}

test('random input from one participant: well-formed answers and relays, no crash, the switchboard still works', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(LINE, { minLength: 1, maxLength: 15 }), async (lines) => {
      const [sender, ...others] = await sessionOfThree();
      try {
        await check(sender!, others, lines);
      } finally {
        for (const sb of [sender!, ...others]) sb.conn.close();
      }
    }),
    { numRuns: 40, seed: Number(process.env.MSND_FUZZ_SEED ?? 20261126), endOnFailure: true, includeErrorInReport: true },
  );
  assert.deepEqual(crashes, []);
  const [sam, tom] = clients as [MsnClient, MsnClient];
  const opener = await SwitchboardSession.open(sam);
  const ringing = nextInvitation(tom);
  await opener.invite(tom.handle);
  const joined = await SwitchboardSession.answer(tom, await ringing);
  await opener.send('still fine');
  assert.match((await joined.conn.next('MSG')).payload!.toString('utf8'), /still fine$/);
  opener.conn.close();
  joined.conn.close();
});
