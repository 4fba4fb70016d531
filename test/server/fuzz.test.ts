/**
 * The Notification Server under random input, over TCP: signed-in sessions of every dialect send
 * random sequences of commands made of real command names, misspelt ones and random tokens (valid
 * and broken handles, list names, group ids, %-encodings, huge numbers, payloads that lie about
 * their length). Whatever they send, the server (MSNP5.md 3.3, 3.7, DESIGN.md "Behaviour at the
 * edges") answers only well-formed lines or closes the connection, never throws, keeps serving
 * others, and leaves the store consistent: the RL mirror holds, list versions stay in range, every
 * FL record is in groups that exist and only FL records have groups.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { ALL_DIALECTS, type Dialect } from '../../src/protocol/dialects.ts';
import { useMsnd } from '../helpers/msnd.ts';

const USERS = ['ann@example.com', 'ben@example.com', 'cat@example.com'] as const;
const PASSWORD = 'secret123';

const COMMANDS = [
  'ADD',
  'REM',
  'REA',
  'SYN',
  'LST',
  'GTC',
  'BLP',
  'CHG',
  'PRP',
  'IMS',
  'XFR',
  'URL',
  'FND',
  'SND',
  'CVR',
  'USR',
  'LSG',
  'ADG',
  'RMG',
  'REG',
  'CHL',
  'PNG',
  'VER',
  'INF',
  'add',
  'FOO',
  'AD',
];
const TOKENS = fc.oneof(
  fc.constantFrom(...USERS, 'nobody@example.com', 'a@b', '@@', 'x'.repeat(140) + '@example.com'),
  fc.constantFrom('FL', 'AL', 'BL', 'RL', 'XL', 'fl'),
  fc.constantFrom('NLN', 'HDN', 'FLN', 'BSY', 'A', 'N', 'ON', 'OFF', 'SB', 'NS', 'PHH', 'MOB', 'Y', 'PHXX', 'INBOX', 'CHAT'),
  fc.constantFrom('0', '1', '29', '30', '-1', '4294967295', '4294967296', '99999999999999999999', '0x0409'),
  fc.constantFrom('Name', 'A%20B', '%FF%FE', '%', '%0A', 'Caf%C3%A9', 'x'.repeat(400), 'fname=A', 'lname=*'),
  fc.string({ minLength: 1, maxLength: 12 }).map((s) => s.replace(/[\s\x00-\x1f]/g, 'x') || 'x'),
);
const TRID = fc.oneof(fc.constantFrom('0', '1', '4294967295', '4294967296', 'x', '-3'), fc.nat({ max: 99 }).map(String));

const USER = fc.constantFrom(...USERS);
const LIST = fc.constantFrom('FL', 'AL', 'BL');
const GROUP = fc.constantFrom('0', '1', '1', '2', '29');
const NAME = fc.constantFrom('Name', 'A%20B', 'Caf%C3%A9');
/** Commands that make sense, so that the lists, groups and settings really change. */
const MEANINGFUL = fc.oneof(
  fc.tuple(USER, NAME, GROUP).map(([u, n, g]) => ['ADD', 'FL', u, n, g]),
  fc.tuple(LIST, USER, NAME, fc.option(GROUP, { nil: undefined })).map(([l, u, n, g]) => ['ADD', l, u, n, ...(g && l === 'FL' ? [g] : [])]),
  fc.tuple(LIST, USER, fc.option(GROUP, { nil: undefined })).map(([l, u, g]) => ['REM', l, u, ...(g && l === 'FL' ? [g] : [])]),
  NAME.map((n) => ['ADG', n, '0']),
  GROUP.map((g) => ['RMG', g]),
  fc.tuple(GROUP, NAME).map(([g, n]) => ['REG', g, n, '0']),
  fc.constantFrom(
    ['BLP', 'AL'],
    ['BLP', 'BL'],
    ['GTC', 'A'],
    ['GTC', 'N'],
    ['CHG', 'NLN'],
    ['CHG', 'HDN'],
    ['CHG', 'BSY'],
    ['SYN', '0'],
    ['LSG'],
    ['LST', 'RL'],
  ),
  fc.tuple(USER, NAME).map(([u, n]) => ['REA', u, n]),
);

/** One line of input: a command with a TrID and random tokens, or a payload command with a length that may lie. */
const LINE = fc.oneof(
  // Most random lines close the connection (MSNP5.md 3.7), so they are rarer than meaningful ones.
  { weight: 30, arbitrary: fc.tuple(MEANINGFUL, fc.nat({ max: 99 })).map(([[c, ...a], t]) => `${[c, t, ...a].join(' ')}\r\n`) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...COMMANDS), TRID, fc.array(TOKENS, { maxLength: 5 }))
      .map(([c, t, a]) => `${[c, t, ...a].join(' ')}\r\n`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('PAG', 'SDC', 'QRY', 'MSG'), TRID, fc.nat({ max: 40 }), fc.nat({ max: 40 }))
      .map(([c, t, announced, sent]) => `${c} ${t} ${USERS[0]} ${announced}\r\n${'p'.repeat(sent)}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('PNG\r\n', '\r\n', 'OUT\r\n', 'CHG 5 NLN \r\n') },
);

const SESSION = fc.record({
  user: fc.constantFrom(...USERS),
  // MSNP7 more often than the others: it has the most commands (groups).
  dialect: fc.oneof({ weight: 3, arbitrary: fc.constant<Dialect>('MSNP7') }, { weight: 5, arbitrary: fc.constantFrom(...ALL_DIALECTS) }),
  sync: fc.boolean(),
  lines: fc.array(LINE, { minLength: 1, maxLength: 30 }),
});

const s = useMsnd({ dialects: [...ALL_DIALECTS], limits: { challengeFirstMs: 50, challengeAnswerMs: 2000 } });
const crashes: unknown[] = [];
const onCrash = (error: unknown) => crashes.push(error);

before(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  await s.addUsers(...USERS.map((handle) => ({ handle, password: PASSWORD })));
});

after(() => {
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
});

/** Well-formed output: a command of three capitals or a three-digit error code, single spaces (MSNP5.md 3.1, 3.3). */
const WELL_FORMED = /^([A-Z]{3}|\d{3})( [^ \r\n]+)*$/;

async function runSession(session: { user: string; dialect: Dialect; sync: boolean; lines: string[] }): Promise<void> {
  const client = await s.login(session.user, { dialects: [session.dialect] });
  const conn: MsnpConnection = client.conn;
  try {
    if (session.sync) await client.sync(0);
    for (const line of session.lines) {
      if (conn.isClosed) break;
      conn.sendRaw(line);
    }
    // A barrier: QNG once everything before it was handled, or the close.
    if (!conn.isClosed) conn.sendRaw('\r\nPNG\r\n');
    await Promise.race([conn.next('QNG', 3000).catch(() => undefined), conn.waitClosed(3000).catch(() => undefined)]);
    for (const received of conn.drain()) assert.match(received.line, WELL_FORMED, `after ${JSON.stringify(session.lines)}`);
  } finally {
    client.close();
  }
}

/** The store after the run: the RL mirror, versions, groups (MSNP5.md 8.2, 8.4, 9.29). */
async function assertStoreConsistent(): Promise<void> {
  const accounts = await s.store.listAccounts();
  await s.store.transaction(async (tx) => {
    const byId = new Map(accounts.map((a) => [a.id, a]));
    for (const owner of accounts) {
      assert.ok(owner.listVersion >= 1 && owner.listVersion <= 4294967295);
      const groupIds = new Set((await tx.groups(owner.id)).map((g) => g.id));
      assert.ok(groupIds.has(0), `${owner.handle} lost group 0`);
      for (const record of await tx.contacts(owner.id)) {
        const reverse = await tx.contact(record.contactId, owner.id);
        assert.equal(reverse?.lists.RL ?? false, record.lists.FL, `RL mirror of ${owner.handle} → ${record.handle}`);
        if (record.lists.FL) {
          assert.ok(
            record.groups.length > 0 && record.groups.every((g) => groupIds.has(g)),
            `groups of ${record.handle} at ${owner.handle}`,
          );
        } else {
          assert.deepEqual(record.groups, []);
        }
        assert.ok(!(record.lists.AL && record.lists.BL), `${record.handle} on both AL and BL of ${owner.handle}`);
        assert.ok(byId.has(record.contactId));
      }
    }
  });
}

test('random command sequences in every dialect: well-formed answers or a close, no crash, a consistent store', async () => {
  await fc.assert(
    fc.asyncProperty(SESSION, async (session) => {
      await runSession(session);
      await assertStoreConsistent();
    }),
    { numRuns: 200, seed: Number(process.env.MSND_FUZZ_SEED ?? 20261126), endOnFailure: true, includeErrorInReport: true },
  );
  assert.deepEqual(crashes, []);
  // Still serving: a fresh sign-in, sync and presence work.
  const client = await s.login(USERS[0], { dialects: ['MSNP7'] });
  await client.sync(0);
  await client.changeStatus('NLN');
  assert.ok((await client.ping()) >= 0);
  client.close();
});
