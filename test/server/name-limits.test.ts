/**
 * Limits hold on what msnd stores and sends (MSNP5.md 3.4, 8.1, 9.8, 9.10, 9.14, 9.29, 14; issue
 * 10 #2): a name sent as unescaped UTF-8 is measured in the canonical encoding msnd keeps, so that
 * nothing msnd sends to anyone (NLN, ADD, REA, BPR, LSG, SB lines) is refused when sent back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SwitchboardSession } from '../../src/client/switchboard.ts';
import { ALL_DIALECTS } from '../../src/protocol/dialects.ts';
import { NAME_MAX_BYTES, PHONE_MAX_BYTES, GROUP_NAME_MAX_BYTES } from '../../src/protocol/names.ts';
import { ask } from '../helpers/ask.ts';
import { useMsnd } from '../helpers/msnd.ts';
import {
  account,
  assertClosed,
  assertNothingMore,
  barrier,
  closeAll,
  freshUsers,
  listLines,
  rawLine,
  signIn,
  storedRecord,
  versionOf,
} from '../helpers/stored-lists.ts';

const s = useMsnd({ dialects: [...ALL_DIALECTS] });

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
/** The canonical encoding of é. */
const E = '%C3%A9';

/** Owner and watcher: the watcher has the owner on its FL, both synced and present (NLN reaches it). */
async function ownerAndWatcher() {
  const u = await freshUsers(s, { owner: 'Owner', watcher: 'Watcher' });
  const w0 = await signIn(s, u.watcher);
  await w0.add('FL', u.owner, 'Owner');
  closeAll();
  const watcher = await signIn(s, u.watcher, { sync: true, present: true });
  const owner = await signIn(s, u.owner, { sync: true, present: true });
  await barrier(watcher.conn);
  watcher.conn.drain();
  return { u, owner, watcher };
}

describe('friendly names (MSNP5.md 3.4, 9.8, 9.10, 14)', () => {
  test('REA with 193 × é as raw UTF-8 (386 bytes, 1,158 encoded) closes like any over-long name; nothing goes out', async () => {
    const { u, owner, watcher } = await ownerAndWatcher();
    owner.conn.sendRaw(rawLine(`REA 50 ${u.owner} {}`, utf8('é'.repeat(193))));
    await assertClosed(owner.conn);
    // the watcher sees the owner go (the connection closed), and no new name
    assert.equal((await watcher.conn.next('FLN')).line, `FLN ${u.owner}`);
    await assertNothingMore(watcher.conn);
    assert.equal((await account(s, u.owner)).friendlyName, 'Owner');
    assert.equal(await versionOf(s, u.owner), 2);
  });

  test('the same as a contact name in REA and ADD closes, and stores nothing', async () => {
    const u = await freshUsers(s, { owner: 'Owner', contact: 'Contact' });
    const first = await signIn(s, u.owner);
    await first.add('AL', u.contact, 'C');
    first.conn.sendRaw(rawLine(`REA 50 ${u.contact} {}`, utf8('é'.repeat(193))));
    await assertClosed(first.conn);
    const second = await signIn(s, u.owner);
    second.conn.sendRaw(rawLine(`ADD 51 FL ${u.contact} {}`, utf8('é'.repeat(65))));
    await assertClosed(second.conn);
    assert.deepEqual(await storedRecord(s, u.owner, u.contact), { name: 'C', FL: false, AL: true, BL: false, RL: false });
  });

  test('raw UTF-8 within the limit once encoded: NLN carries it, and the contact and the owner can send it back', async () => {
    const { u, owner, watcher } = await ownerAndWatcher();
    // 64 × é + 'abc': 131 bytes as received, exactly 387 once encoded
    const wire = E.repeat(64) + 'abc';
    assert.equal(wire.length, NAME_MAX_BYTES);
    owner.conn.sendRaw(rawLine(`REA 50 ${u.owner} {}`, utf8('é'.repeat(64) + 'abc')));
    assert.equal((await owner.conn.next((r) => r.args[0] === '50')).line, `REA 50 3 ${u.owner} ${wire}`);
    assert.equal((await watcher.conn.next('NLN')).line, `NLN NLN ${u.owner} ${wire}`);
    assert.equal((await account(s, u.owner)).friendlyName, wire);

    // the watcher echoes it, as clients do: ADD AL and REA of the contact are accepted, connection open
    assert.equal(await ask(watcher.conn, 'ADD', 60, 'AL', u.owner, wire), `ADD 60 AL 3 ${u.owner} ${wire}`);
    assert.equal(await ask(watcher.conn, 'REA', 61, u.owner, wire), `REA 61 4 ${u.owner} ${wire}`);
    assert.deepEqual(await listLines(watcher.conn, 62, 'FL'), [`LST 62 FL 4 1 1 ${u.owner} ${wire}`]);
    // the owner sends its own name back (unchanged, so watchers are not told again)
    assert.equal(await ask(owner.conn, 'REA', 51, u.owner, wire), `REA 51 4 ${u.owner} ${wire}`);
    await assertNothingMore(owner.conn);
    await assertNothingMore(watcher.conn);
  });

  test('a newcomer adding the renamed owner with that name: ADD FL accepted, ADD 0 RL carries it, ILN too', async () => {
    const u = await freshUsers(s, { owner: 'Owner', friend: 'Friend' });
    const owner = await signIn(s, u.owner, { sync: true, present: true });
    const wire = E.repeat(64) + 'abc';
    owner.conn.sendRaw(rawLine(`REA 50 ${u.owner} {}`, utf8('é'.repeat(64) + 'abc')));
    assert.equal((await owner.conn.next((r) => r.args[0] === '50')).line, `REA 50 2 ${u.owner} ${wire}`);
    const friend = await signIn(s, u.friend, { sync: true, present: true });
    friend.conn.send('ADD', 70, 'FL', u.owner, wire);
    assert.equal((await friend.conn.next((r) => r.name === 'ILN' && r.args[0] === '70')).line, `ILN 70 NLN ${u.owner} ${wire}`);
    assert.equal((await owner.conn.next('ADD')).line, `ADD 0 RL 3 ${u.friend} Friend`);
    // and the owner, seeing the newcomer in its RL, adds it back under its own name
    assert.equal(await ask(owner.conn, 'ADD', 52, 'AL', u.friend, 'Friend'), `ADD 52 AL 4 ${u.friend} Friend`);
    assert.deepEqual(await storedRecord(s, u.friend, u.owner), { name: wire, FL: true, AL: false, BL: false, RL: false });
  });

  test('the switchboard lines carry the stored form: USR OK, RNG, IRO and JOI', async () => {
    const { u, owner, watcher } = await ownerAndWatcher();
    const wire = E.repeat(64) + 'abc';
    owner.conn.sendRaw(rawLine(`REA 50 ${u.owner} {}`, utf8('é'.repeat(64) + 'abc')));
    await owner.conn.next((r) => r.args[0] === '50');
    const sb = await SwitchboardSession.open(owner);
    try {
      assert.equal(sb.friendlyName, wire);
      await sb.invite(u.watcher);
      const ring = await watcher.conn.next('RNG');
      assert.equal(ring.args[4], u.owner);
      assert.equal(ring.args[5], wire);
      const joined = await SwitchboardSession.answer(watcher, ring);
      try {
        assert.equal(joined.participants.get(u.owner), wire);
        assert.equal((await sb.conn.next('JOI')).line, `JOI ${u.watcher} Watcher`);
      } finally {
        joined.close();
      }
    } finally {
      sb.close();
    }
  });
});

describe('phone values (MSNP5.md 9.14, 14)', () => {
  test('raw UTF-8 that outgrows 95 bytes once encoded closes; nothing is stored or pushed', async () => {
    const { u, owner, watcher } = await ownerAndWatcher();
    // 32 × é: 64 bytes as received, 192 encoded
    owner.conn.sendRaw(rawLine(`PRP 50 PHH {}`, utf8('é'.repeat(32))));
    await assertClosed(owner.conn);
    assert.equal((await watcher.conn.next('FLN')).line, `FLN ${u.owner}`);
    await assertNothingMore(watcher.conn);
    assert.equal((await account(s, u.owner)).phones.PHH, '');
  });

  test('raw UTF-8 within 95 bytes once encoded: BPR carries it and PRP of the same value is accepted', async () => {
    const { u, owner, watcher } = await ownerAndWatcher();
    // 15 × é + '12345': 35 bytes as received, 95 encoded
    const wire = E.repeat(15) + '12345';
    assert.equal(wire.length, PHONE_MAX_BYTES);
    owner.conn.sendRaw(rawLine(`PRP 50 PHH {}`, utf8('é'.repeat(15) + '12345')));
    assert.equal((await owner.conn.next((r) => r.args[0] === '50')).line, `PRP 50 3 PHH ${wire}`);
    const bpr = await watcher.conn.next('BPR');
    assert.equal(bpr.line, `BPR ${bpr.args[0]} ${u.owner} PHH ${wire}`);
    assert.equal(await ask(owner.conn, 'PRP', 51, 'PHH', wire), `PRP 51 4 PHH ${wire}`);
    await assertNothingMore(owner.conn);
  });
});

describe('group names (MSNP5.md 9.29, 14, D-17)', () => {
  const MSNP7 = ['MSNP7', 'CVR0'];

  test('raw UTF-8 near 61 bytes: accepted when its encoding fits (and sent back with REG), 229 when not', async () => {
    const u = await freshUsers(s, { owner: 'Owner', friend: 'Friend' });
    const owner = await signIn(s, u.owner, { dialects: MSNP7, sync: true, present: true });
    // 10 × é + 'a': 21 bytes as received, 61 encoded
    const wire = E.repeat(10) + 'a';
    assert.equal(wire.length, GROUP_NAME_MAX_BYTES);
    owner.conn.sendRaw(rawLine(`ADG 50 {} 0`, utf8('é'.repeat(10) + 'a')));
    assert.equal((await owner.conn.next((r) => r.args[0] === '50')).line, `ADG 50 2 ${wire} 1 0`);
    assert.equal(await ask(owner.conn, 'REG', 51, 1, wire, 0), `REG 51 3 1 ${wire} 0`);
    assert.equal(await ask(owner.conn, 'ADG', 52, wire, 0), `ADG 52 4 ${wire} 2 0`);
    // 10 × é + 'ab': 22 bytes as received, 62 encoded
    owner.conn.sendRaw(rawLine(`ADG 53 {} 0`, utf8('é'.repeat(10) + 'ab')));
    assert.equal((await owner.conn.next((r) => r.args[0] === '53')).line, '229 53');
    owner.conn.sendRaw(rawLine(`REG 54 1 {} 0`, utf8('é'.repeat(10) + 'ab')));
    assert.equal((await owner.conn.next((r) => r.args[0] === '54')).line, '229 54');
    await assertNothingMore(owner.conn);
    assert.equal(await versionOf(s, u.owner), 4);
  });

  test('raw UTF-8 far beyond a friendly name once encoded closes ("an extremely long name")', async () => {
    const u = await freshUsers(s, { owner: 'Owner' });
    const owner = await signIn(s, u.owner, { dialects: MSNP7, sync: true, present: true });
    // 150 × é: 300 bytes as received, 900 encoded
    owner.conn.sendRaw(rawLine(`ADG 50 {} 0`, utf8('é'.repeat(150))));
    await assertClosed(owner.conn);
    assert.equal(await versionOf(s, u.owner), 1);
  });
});
