/**
 * Presence and privacy on the wire (MSNP5.md 7, 8.3, 9.7–9.13, 9.22, 10; sessions.md 1, 4, 6, 7, 8,
 * 15, 18): exact ILN/NLN/FLN lines, who gets them and who gets nothing.
 *
 * Every test uses its own accounts (a fresh suffix per test), set up in the store before anyone
 * signs in. "Nothing was sent" is checked with a barrier: the server fans presence out before it
 * answers the command that caused it, and a session's bus events are queued behind the commands
 * it has received, so a watcher's PNG sent after the actor's reply is answered (QNG) only after
 * every push the command caused. flush() returns every line that came before that QNG.
 * Sign-outs fan out after the close, so there the tests first wait for a line that must come, or,
 * where nothing may come at all, watch with expectNothing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { MsnClient } from '../../src/client/client.ts';
import type { Arg } from '../../src/client/connection.ts';
import { isReplyTo, type Received } from '../../src/client/received.ts';
import { SQLITE_FILE } from '../../src/store/sqlite.ts';
import { useMsnd } from '../helpers/msnd.ts';

interface User {
  handle: string;
  /** the encoded friendly name, as the server writes it */
  name: string;
}

type Editable = 'FL' | 'AL' | 'BL';

const server = useMsnd({ limits: { selfRenames: 1000 } });
let run = 0;
const opened: MsnClient[] = [];

after(() => {
  for (const client of opened) client.close();
});

const PRESENCE = (r: Received): boolean => r.name === 'ILN' || r.name === 'NLN' || r.name === 'FLN';

/** Fresh accounts for one test: `alice` → alice<n>@example.com named "Alice A". */
async function accounts<const N extends readonly string[]>(...bases: N): Promise<{ [K in keyof N]: User }> {
  const suffix = ++run;
  const users: User[] = [];
  for (const base of bases) {
    const cap = base[0]!.toUpperCase() + base.slice(1);
    const user = { handle: `${base}${suffix}@example.com`, name: `${cap}%20${cap[0]}` };
    await server.addUser({ handle: user.handle, password: 'pw', name: `${cap} ${cap[0]}` });
    users.push(user);
  }
  return users as { [K in keyof N]: User };
}

/** Sets list bits of owner's record of contact in the store, keeping the RL mirror (MSNP5.md 8.2). */
async function setLists(owner: User, contact: User, bits: Partial<Record<Editable, boolean>>): Promise<void> {
  await server.store.transaction(async (tx) => {
    const o = (await tx.accountByHandle(owner.handle))!;
    const c = (await tx.accountByHandle(contact.handle))!;
    const mine = await tx.contact(o.id, c.id);
    const lists = { FL: false, AL: false, BL: false, RL: false, ...mine?.lists, ...bits };
    await tx.saveContact(o.id, c.id, { name: mine?.name ?? contact.name, lists, groups: mine?.groups ?? [] });
    if (bits.FL === undefined) return;
    const theirs = await tx.contact(c.id, o.id);
    const back = { FL: false, AL: false, BL: false, ...theirs?.lists, RL: bits.FL };
    await tx.saveContact(c.id, o.id, { name: theirs?.name ?? owner.name, lists: back, groups: theirs?.groups ?? [] });
  });
}

/** watcher has target on its FL. */
function watch(watcher: User, target: User): Promise<void> {
  return setLists(watcher, target, { FL: true });
}

async function setBlp(user: User, blp: 'AL' | 'BL'): Promise<void> {
  const account = (await server.store.findAccount(user.handle))!;
  await server.store.transaction((tx) => tx.updateAccount(account.id, { blp }));
}

async function versionOf(user: User): Promise<number> {
  return (await server.store.findAccount(user.handle))!.listVersion;
}

/** Sends `name trid args…` and returns the first line with that TrID. */
function send(client: MsnClient, name: string, trid: number, ...args: Arg[]): Promise<Received> {
  client.conn.send(name, trid, ...args);
  return client.conn.next(isReplyTo(trid));
}

/** Every line received (and not yet taken) before the answer to a PNG sent now. */
async function flush(client: MsnClient): Promise<string[]> {
  const lines: string[] = [];
  client.conn.send('PNG');
  for (;;) {
    const r = await client.conn.next();
    if (r.name === 'QNG') return lines;
    lines.push(r.line);
  }
}

/** Asserts that none of these sessions has received anything. */
async function nothingFor(...clients: MsnClient[]): Promise<void> {
  const seen = await Promise.all(clients.map((c) => flush(c)));
  assert.deepEqual(
    seen,
    clients.map(() => []),
  );
}

/** Signs in (through the DS) without SYN or CHG: authenticated, not present. */
function signIn(user: User): Promise<MsnClient> {
  return server.login(user.handle);
}

/** Signs in and sends the first CHG; returns the session with its ILN batch already taken. */
async function online(user: User, status = 'NLN'): Promise<MsnClient> {
  const client = await signIn(user);
  assert.equal((await send(client, 'CHG', 9, status)).line, `CHG 9 ${status}`);
  await flush(client);
  return client;
}

/** The four BPR lines after `ADD … FL` for a contact without phone numbers (MSNP5.md 9.8, D-10). */
function blankPhones(version: number, contact: User): string[] {
  return [
    `BPR ${version} ${contact.handle} PHH`,
    `BPR ${version} ${contact.handle} PHW`,
    `BPR ${version} ${contact.handle} PHM`,
    `BPR ${version} ${contact.handle} MOB N`,
  ];
}

const nln = (status: string, user: User): string => `NLN ${status} ${user.handle} ${user.name}`;
const fln = (user: User): string => `FLN ${user.handle}`;
const iln = (trid: number, status: string, user: User): string => `ILN ${trid} ${status} ${user.handle} ${user.name}`;
const sorted = (lines: string[]): string[] => [...lines].sort();

/** Ends a session with OUT and waits for the server's OUT and close. */
async function signOut(client: MsnClient): Promise<void> {
  client.conn.send('OUT');
  assert.equal((await client.conn.next()).line, 'OUT');
  await client.conn.closed;
}

/** Sessions to close when the file is done, before the server stops. */
function track(...clients: MsnClient[]): void {
  opened.push(...clients);
}

// ------------------------------------------------------------------------------------------------

describe('before the first CHG a session is not present (MSNP5.md 7, 10.1)', () => {
  test('watchers learn nothing at sign-in or SYN; the first CHG gives them NLN', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const aliceNs = await signIn(alice);
    track(bobNs, aliceNs);
    await aliceNs.sync(0);
    await nothingFor(bobNs);
    assert.equal((await send(aliceNs, 'CHG', 20, 'NLN')).line, 'CHG 20 NLN');
    assert.deepEqual(await flush(bobNs), [nln('NLN', alice)]);
    assert.deepEqual(await flush(aliceNs), []);
  });

  test('a session that is not present receives no presence; its first CHG brings the current state as ILN', async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await watch(alice, bob);
    const bobNs = await online(bob);
    const carolNs = await online(carol, 'BRB');
    const aliceNs = await signIn(alice);
    track(bobNs, carolNs, aliceNs);
    assert.equal((await send(bobNs, 'CHG', 20, 'BSY')).line, 'CHG 20 BSY');
    assert.equal((await send(bobNs, 'REA', 21, bob.handle, 'Bobby')).line, `REA 21 ${await versionOf(bob)} ${bob.handle} Bobby`);
    assert.equal((await send(bobNs, 'CHG', 22, 'HDN')).line, 'CHG 22 HDN');
    assert.equal((await send(bobNs, 'CHG', 23, 'AWY')).line, 'CHG 23 AWY');
    // ADD FL before the first CHG: no ILN (MSNP5.md 9.8, 9.12); no BPR either, as it has not synced.
    const add = await send(aliceNs, 'ADD', 24, 'FL', carol.handle, carol.name);
    assert.equal(add.line, `ADD 24 FL ${await versionOf(alice)} ${carol.handle} ${carol.name}`);
    assert.deepEqual(await flush(aliceNs), []);
    assert.equal((await send(aliceNs, 'CHG', 25, 'NLN')).line, 'CHG 25 NLN');
    assert.deepEqual(sorted(await flush(aliceNs)), sorted([`ILN 25 AWY ${bob.handle} Bobby`, iln(25, 'BRB', carol)]));
  });

  // SYN reads the contacts with their privacy facts; the first CHG reuses that read only when the
  // store proves that nothing changed since (core/session-presence.ts factsKeptSinceSync).
  /** Alice watches Bob, who is online with `status`; Alice has signed in and synced, not yet CHG'd. */
  async function syncedWatcherOf(status = 'NLN') {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(alice, bob);
    const bobNs = await online(bob, status);
    const aliceNs = await signIn(alice);
    track(bobNs, aliceNs);
    await aliceNs.sync(0);
    return { alice, bob, aliceNs, bobNs };
  }

  test('the first CHG after SYN shows what SYN read when nothing changed in between', async () => {
    const { bob, aliceNs } = await syncedWatcherOf('BSY');
    assert.equal((await send(aliceNs, 'CHG', 26, 'NLN')).line, 'CHG 26 NLN');
    assert.deepEqual(await flush(aliceNs), [iln(26, 'BSY', bob)]);
  });

  test("the first CHG after SYN follows a contact's block made in between (ADD BL on the wire)", async () => {
    const { alice, aliceNs, bobNs } = await syncedWatcherOf();
    assert.match((await send(bobNs, 'ADD', 27, 'BL', alice.handle, alice.name)).line, /^ADD 27 BL /);
    assert.equal((await send(aliceNs, 'CHG', 28, 'NLN')).line, 'CHG 28 NLN');
    assert.deepEqual(await flush(aliceNs), []);
  });

  test('the first CHG after SYN follows a change of the store by another process (a BLP written by the CLI)', async () => {
    const { bob, aliceNs } = await syncedWatcherOf();
    const other = new BetterSqlite3(join(server.dataDir, SQLITE_FILE));
    try {
      other.prepare(`update accounts set blp = 'BL' where handle = ?`).run(bob.handle);
    } finally {
      other.close();
    }
    assert.equal((await send(aliceNs, 'CHG', 29, 'NLN')).line, 'CHG 29 NLN');
    assert.deepEqual(await flush(aliceNs), []);
  });

  test('the first CHG after SYN follows a change of the lists by this server outside any session', async () => {
    const { alice, bob, aliceNs } = await syncedWatcherOf();
    await setLists(bob, alice, { BL: true });
    assert.equal((await send(aliceNs, 'CHG', 29, 'NLN')).line, 'CHG 29 NLN');
    assert.deepEqual(await flush(aliceNs), []);
  });

  test('a first CHG to HDN tells watchers nothing, yet the hidden session gets its ILN batch (10.4)', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(alice, bob);
    await watch(bob, alice);
    const bobNs = await online(bob, 'PHN');
    const aliceNs = await signIn(alice);
    track(bobNs, aliceNs);
    assert.equal((await send(aliceNs, 'CHG', 30, 'HDN')).line, 'CHG 30 HDN');
    assert.deepEqual(await flush(aliceNs), [iln(30, 'PHN', bob)]);
    await nothingFor(bobNs);
  });

  test('a session that signs out before its first CHG causes no FLN', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const aliceNs = await signIn(alice);
    track(bobNs);
    await signOut(aliceNs);
    await bobNs.conn.expectNothing(PRESENCE, 200);
    // Signing in again and going online: the first thing Bob sees is the NLN.
    const again = await online(alice, 'LUN');
    track(again);
    assert.deepEqual(await flush(bobNs), [nln('LUN', alice)]);
  });
});

describe('the ILN batch (MSNP5.md 9.12, 8.3)', () => {
  test('lists exactly the FL contacts that are present, not hidden and allow the user', async () => {
    const [alice, bob, carol, dave, erin, fred, gina, hank, ivan, kate, lara] = await accounts(
      'alice',
      'bob',
      'carol',
      'dave',
      'erin',
      'fred',
      'gina',
      'hank',
      'ivan',
      'kate',
      'lara',
    );
    for (const contact of [bob, carol, dave, erin, fred, gina, hank, ivan, lara]) await watch(alice, contact);
    // Alice's own privacy settings do not limit what she sees: she blocks lara and allows only her AL.
    await setLists(alice, lara, { BL: true });
    await setBlp(alice, 'BL');
    await setLists(fred, alice, { BL: true }); // fred blocks alice
    await setBlp(gina, 'BL'); // gina allows only her AL, alice is not on it
    await setBlp(hank, 'BL');
    await setLists(hank, alice, { AL: true }); // hank allows only his AL, alice is on it
    await watch(kate, alice); // kate watches alice, but alice does not have kate on FL
    const sessions = [
      await online(bob),
      await online(carol, 'BSY'),
      // dave is offline
      await online(erin, 'HDN'),
      await online(fred),
      await online(gina, 'IDL'),
      await online(hank, 'AWY'),
      await signIn(ivan), // signed in, never sent CHG
      await online(kate),
    ];
    const laraNs = await online(lara, 'BRB');
    const aliceNs = await signIn(alice);
    track(aliceNs, laraNs, ...sessions);
    const reply = await send(aliceNs, 'CHG', 9, 'NLN');
    assert.equal(reply.line, 'CHG 9 NLN');
    assert.deepEqual(
      sorted(await flush(aliceNs)),
      sorted([iln(9, 'NLN', bob), iln(9, 'BSY', carol), iln(9, 'AWY', hank), iln(9, 'BRB', lara)]),
    );
    // …and she keeps seeing lara's changes.
    assert.equal((await send(laraNs, 'CHG', 10, 'NLN')).line, 'CHG 10 NLN');
    assert.deepEqual(await flush(aliceNs), [nln('NLN', lara)]);
  });

  test('an empty FL gives an empty batch; a second CHG gives no new batch', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    const bobNs = await online(bob);
    const aliceNs = await signIn(alice);
    track(bobNs, aliceNs);
    assert.equal((await send(aliceNs, 'CHG', 9, 'NLN')).line, 'CHG 9 NLN');
    assert.deepEqual(await flush(aliceNs), []);
    // Later FL contacts come with ADD (tested below), never with a later CHG.
    await send(aliceNs, 'ADD', 10, 'FL', bob.handle, bob.name);
    await flush(aliceNs);
    assert.equal((await send(aliceNs, 'CHG', 11, 'BSY')).line, 'CHG 11 BSY');
    assert.deepEqual(await flush(aliceNs), []);
  });
});

describe('status changes (MSNP5.md 9.11, 10.2, 10.3)', () => {
  test('every online status reaches allowed watchers as NLN, and nobody else', async () => {
    const [alice, bob, carol, dave] = await accounts('alice', 'bob', 'carol', 'dave');
    await watch(bob, alice); // allowed watcher
    await watch(carol, alice);
    await setLists(alice, carol, { BL: true }); // blocked watcher
    await setLists(alice, dave, { AL: true, FL: true }); // on alice's AL, but not watching her
    const bobNs = await online(bob);
    const carolNs = await online(carol);
    const daveNs = await online(dave);
    const aliceNs = await online(alice);
    track(aliceNs, bobNs, carolNs, daveNs);
    assert.deepEqual(await flush(bobNs), [nln('NLN', alice)]);
    let trid = 40;
    for (const status of ['BSY', 'IDL', 'BRB', 'AWY', 'PHN', 'LUN', 'NLN']) {
      assert.equal((await send(aliceNs, 'CHG', ++trid, status)).line, `CHG ${trid} ${status}`);
      assert.deepEqual(await flush(bobNs), [nln(status, alice)]);
    }
    await nothingFor(carolNs, daveNs, aliceNs);
  });

  test('HDN shows as FLN, HDN again as nothing, and leaving HDN as NLN (sessions.md 7)', async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await watch(bob, alice);
    await watch(carol, alice);
    const bobNs = await online(bob);
    const carolNs = await online(carol);
    const aliceNs = await online(alice, 'BSY');
    track(aliceNs, bobNs, carolNs);
    await Promise.all([flush(bobNs), flush(carolNs)]);
    assert.equal((await send(aliceNs, 'CHG', 52, 'HDN')).line, 'CHG 52 HDN');
    assert.deepEqual(await flush(bobNs), [fln(alice)]);
    assert.deepEqual(await flush(carolNs), [fln(alice)]);
    assert.equal((await send(aliceNs, 'CHG', 53, 'HDN')).line, 'CHG 53 HDN');
    await nothingFor(bobNs, carolNs);
    assert.equal((await send(aliceNs, 'CHG', 54, 'IDL')).line, 'CHG 54 IDL');
    assert.deepEqual(await flush(bobNs), [nln('IDL', alice)]);
    assert.deepEqual(await flush(carolNs), [nln('IDL', alice)]);
  });

  test('the same status again is echoed and nobody is told', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const aliceNs = await online(alice);
    track(aliceNs, bobNs);
    assert.deepEqual(await flush(bobNs), [nln('NLN', alice)]);
    assert.equal((await send(aliceNs, 'CHG', 50, 'BSY')).line, 'CHG 50 BSY');
    assert.equal((await bobNs.conn.next(PRESENCE)).line, nln('BSY', alice));
    assert.deepEqual(await flush(bobNs), []);
    const quiet = bobNs.conn.expectNothing(PRESENCE, 150);
    assert.equal((await send(aliceNs, 'CHG', 51, 'BSY')).line, 'CHG 51 BSY');
    await quiet;
    assert.deepEqual(await flush(bobNs), []);
  });

  test("a hidden user still receives its contacts' presence and may add contacts (10.4)", async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await watch(alice, bob);
    await watch(bob, alice);
    const bobNs = await online(bob);
    const carolNs = await online(carol, 'LUN');
    const aliceNs = await online(alice, 'HDN');
    track(aliceNs, bobNs, carolNs);
    await nothingFor(bobNs);
    assert.equal((await send(bobNs, 'CHG', 20, 'AWY')).line, 'CHG 20 AWY');
    assert.deepEqual(await flush(aliceNs), [nln('AWY', bob)]);
    assert.equal((await send(bobNs, 'CHG', 21, 'HDN')).line, 'CHG 21 HDN');
    assert.deepEqual(await flush(aliceNs), [fln(bob)]);
    const add = await send(aliceNs, 'ADD', 60, 'FL', carol.handle, carol.name);
    assert.equal(add.line, `ADD 60 FL ${await versionOf(alice)} ${carol.handle} ${carol.name}`);
    assert.deepEqual(await flush(aliceNs), [iln(60, 'LUN', carol)]);
  });

  test('CHG FLN or an unknown status → 201, the session stays and nothing changes (D-9)', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const aliceNs = await signIn(alice);
    track(bobNs);
    // Refused before the first CHG: still not present.
    assert.equal((await send(aliceNs, 'CHG', 10, 'XYZ')).line, '201 10');
    assert.equal((await send(aliceNs, 'CHG', 11, 'FLN')).line, '201 11');
    assert.equal((await send(aliceNs, 'CHG', 12, 'nln')).line, '201 12');
    assert.equal((await send(aliceNs, 'XFR', 13, 'SB')).line, '913 13');
    await nothingFor(bobNs);
    assert.equal((await send(aliceNs, 'CHG', 14, 'BSY')).line, 'CHG 14 BSY');
    assert.deepEqual(await flush(bobNs), [nln('BSY', alice)]);
    // Refused while present: the status stays BSY.
    assert.equal((await send(aliceNs, 'CHG', 15, 'FLN')).line, '201 15');
    assert.equal((await send(aliceNs, 'CHG', 16, 'OFF')).line, '201 16');
    await nothingFor(bobNs);
    assert.equal((await send(aliceNs, 'CHG', 17, 'BSY')).line, 'CHG 17 BSY');
    await nothingFor(bobNs);
    // CHG has exactly one parameter in MSNP2–7: more → close, and the sign-out shows as FLN.
    aliceNs.conn.send('CHG', 18, 'NLN', 0);
    await aliceNs.conn.closed;
    assert.deepEqual(aliceNs.conn.drain(), []);
    assert.equal((await bobNs.conn.next(PRESENCE)).line, fln(alice));
  });
});

describe("REA of one's own name (MSNP5.md 9.10, 10.3; sessions.md 8)", () => {
  test('while visible: allowed watchers get NLN with the current status and the new name', async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await watch(bob, alice);
    await watch(carol, alice);
    await setLists(alice, carol, { BL: true });
    await setLists(alice, bob, { FL: true });
    const bobNs = await online(bob);
    const carolNs = await online(carol);
    const aliceNs = await online(alice, 'BRB');
    track(aliceNs, bobNs, carolNs);
    await flush(bobNs);
    const v = (await versionOf(alice)) + 1;
    const rea = await send(aliceNs, 'REA', 60, alice.handle, 'Alice%20in%20Wonderland');
    assert.equal(rea.line, `REA 60 ${v} ${alice.handle} Alice%20in%20Wonderland`);
    assert.deepEqual(await flush(bobNs), [`NLN BRB ${alice.handle} Alice%20in%20Wonderland`]);
    await nothingFor(carolNs);
    // Renaming a contact tells nobody.
    assert.equal((await send(aliceNs, 'REA', 61, bob.handle, 'Bobby')).line, `REA 61 ${v + 1} ${bob.handle} Bobby`);
    await nothingFor(bobNs, carolNs, aliceNs);
  });

  test('while hidden or not yet present: nothing; the next visible status carries the new name', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const aliceNs = await signIn(alice);
    track(aliceNs, bobNs);
    const first = await send(aliceNs, 'REA', 10, alice.handle, 'Early%20Alice');
    assert.equal(first.line, `REA 10 ${await versionOf(alice)} ${alice.handle} Early%20Alice`);
    await nothingFor(bobNs);
    assert.equal((await send(aliceNs, 'CHG', 11, 'HDN')).line, 'CHG 11 HDN');
    const second = await send(aliceNs, 'REA', 12, alice.handle, 'Hidden%20Alice');
    assert.equal(second.line, `REA 12 ${await versionOf(alice)} ${alice.handle} Hidden%20Alice`);
    await nothingFor(bobNs);
    assert.equal((await send(aliceNs, 'CHG', 13, 'NLN')).line, 'CHG 13 NLN');
    assert.deepEqual(await flush(bobNs), [`NLN NLN ${alice.handle} Hidden%20Alice`]);
  });
});

describe('privacy changes push at once, only to watchers whose permission flipped (MSNP5.md 8.3, 9.7–9.9, 10.3)', () => {
  test('ADD BL → FLN to the blocked watcher; REM BL → NLN back; others hear nothing (sessions.md 6)', async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await watch(bob, alice);
    await watch(carol, alice);
    const bobNs = await online(bob);
    const carolNs = await online(carol);
    const aliceNs = await online(alice);
    track(aliceNs, bobNs, carolNs);
    await Promise.all([flush(bobNs), flush(carolNs)]);
    const v = await versionOf(alice);
    assert.equal((await send(aliceNs, 'ADD', 42, 'BL', bob.handle, bob.name)).line, `ADD 42 BL ${v + 1} ${bob.handle} ${bob.name}`);
    assert.deepEqual(await flush(bobNs), [fln(alice)]);
    await nothingFor(carolNs, aliceNs);
    // While blocked, Bob is told nothing of Alice's changes.
    assert.equal((await send(aliceNs, 'CHG', 43, 'BSY')).line, 'CHG 43 BSY');
    assert.deepEqual(await flush(carolNs), [nln('BSY', alice)]);
    await nothingFor(bobNs);
    assert.equal((await send(aliceNs, 'REM', 46, 'BL', bob.handle)).line, `REM 46 BL ${v + 2} ${bob.handle}`);
    assert.deepEqual(await flush(bobNs), [nln('BSY', alice)]);
    await nothingFor(carolNs, aliceNs);
  });

  test('BLP BL → FLN to watchers not on AL; BLP AL → NLN back to them; AL, BL and non-watchers hear nothing', async () => {
    const [alice, bob, carol, dave, erin] = await accounts('alice', 'bob', 'carol', 'dave', 'erin');
    for (const watcher of [bob, carol, dave]) await watch(watcher, alice);
    await setLists(alice, bob, { AL: true });
    await setLists(alice, dave, { BL: true });
    await setLists(alice, erin, { FL: true }); // erin does not watch alice
    const bobNs = await online(bob);
    const carolNs = await online(carol);
    const daveNs = await online(dave);
    const erinNs = await online(erin);
    const aliceNs = await online(alice, 'AWY');
    track(aliceNs, bobNs, carolNs, daveNs, erinNs);
    assert.deepEqual(await flush(bobNs), [nln('AWY', alice)]);
    assert.deepEqual(await flush(carolNs), [nln('AWY', alice)]);
    await nothingFor(daveNs);
    const v = await versionOf(alice);
    assert.equal((await send(aliceNs, 'BLP', 43, 'BL')).line, `BLP 43 ${v + 1} BL`);
    assert.deepEqual(await flush(carolNs), [fln(alice)]);
    await nothingFor(bobNs, daveNs, erinNs, aliceNs);
    assert.equal((await send(aliceNs, 'BLP', 44, 'BL')).line, '218 44');
    await nothingFor(bobNs, carolNs, daveNs);
    assert.equal((await send(aliceNs, 'BLP', 45, 'AL')).line, `BLP 45 ${v + 2} AL`);
    assert.deepEqual(await flush(carolNs), [nln('AWY', alice)]);
    await nothingFor(bobNs, daveNs, erinNs, aliceNs);
  });

  test("AL/BL edits that leave a watcher's permission as it was push nothing", async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await watch(bob, alice);
    await watch(carol, alice);
    const bobNs = await online(bob);
    const carolNs = await online(carol);
    const aliceNs = await online(alice);
    track(aliceNs, bobNs, carolNs);
    await Promise.all([flush(bobNs), flush(carolNs)]);
    const v = await versionOf(alice);
    // BLP AL: everyone not on BL is allowed, on AL or not.
    assert.equal((await send(aliceNs, 'ADD', 60, 'AL', bob.handle, bob.name)).line, `ADD 60 AL ${v + 1} ${bob.handle} ${bob.name}`);
    assert.equal((await send(aliceNs, 'REM', 61, 'AL', bob.handle)).line, `REM 61 AL ${v + 2} ${bob.handle}`);
    await nothingFor(bobNs, carolNs);
    // BLP BL: Carol (on neither list) loses sight of Alice; blocking and unblocking her changes nothing more.
    assert.equal((await send(aliceNs, 'BLP', 62, 'BL')).line, `BLP 62 ${v + 3} BL`);
    assert.deepEqual(await flush(bobNs), [fln(alice)]);
    assert.deepEqual(await flush(carolNs), [fln(alice)]);
    assert.equal((await send(aliceNs, 'ADD', 63, 'BL', carol.handle, carol.name)).line, `ADD 63 BL ${v + 4} ${carol.handle} ${carol.name}`);
    assert.equal((await send(aliceNs, 'REM', 64, 'BL', carol.handle)).line, `REM 64 BL ${v + 5} ${carol.handle}`);
    await nothingFor(bobNs, carolNs);
    // Back to BLP AL: both see her again, once.
    assert.equal((await send(aliceNs, 'BLP', 65, 'AL')).line, `BLP 65 ${v + 6} AL`);
    assert.deepEqual(await flush(bobNs), [nln('NLN', alice)]);
    assert.deepEqual(await flush(carolNs), [nln('NLN', alice)]);
  });

  test('under BLP BL, ADD AL → NLN and REM AL → FLN; under BLP AL, REM AL changes nothing', async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await watch(bob, alice);
    await watch(carol, alice);
    await setBlp(alice, 'BL');
    await setLists(alice, bob, { AL: true });
    const bobNs = await online(bob);
    const carolNs = await online(carol);
    const aliceNs = await online(alice, 'PHN');
    track(aliceNs, bobNs, carolNs);
    assert.deepEqual(await flush(bobNs), [nln('PHN', alice)]);
    await nothingFor(carolNs);
    const v = await versionOf(alice);
    assert.equal((await send(aliceNs, 'ADD', 50, 'AL', carol.handle, carol.name)).line, `ADD 50 AL ${v + 1} ${carol.handle} ${carol.name}`);
    assert.deepEqual(await flush(carolNs), [nln('PHN', alice)]);
    await nothingFor(bobNs);
    assert.equal((await send(aliceNs, 'REM', 51, 'AL', bob.handle)).line, `REM 51 AL ${v + 2} ${bob.handle}`);
    assert.deepEqual(await flush(bobNs), [fln(alice)]);
    await nothingFor(carolNs);
    assert.equal((await send(aliceNs, 'BLP', 52, 'AL')).line, `BLP 52 ${v + 3} AL`);
    assert.deepEqual(await flush(bobNs), [nln('PHN', alice)]);
    await nothingFor(carolNs);
    assert.equal((await send(aliceNs, 'REM', 53, 'AL', carol.handle)).line, `REM 53 AL ${v + 4} ${carol.handle}`);
    await nothingFor(bobNs, carolNs, aliceNs);
  });

  test('changes while hidden push nothing; going visible shows the result only to those now allowed', async () => {
    const [alice, bob, carol, dave] = await accounts('alice', 'bob', 'carol', 'dave');
    for (const watcher of [bob, carol, dave]) await watch(watcher, alice);
    const bobNs = await online(bob);
    const carolNs = await online(carol);
    const daveNs = await online(dave);
    const aliceNs = await online(alice, 'HDN');
    track(aliceNs, bobNs, carolNs, daveNs);
    const v = await versionOf(alice);
    assert.equal((await send(aliceNs, 'ADD', 20, 'BL', bob.handle, bob.name)).line, `ADD 20 BL ${v + 1} ${bob.handle} ${bob.name}`);
    assert.equal((await send(aliceNs, 'ADD', 21, 'AL', carol.handle, carol.name)).line, `ADD 21 AL ${v + 2} ${carol.handle} ${carol.name}`);
    assert.equal((await send(aliceNs, 'BLP', 22, 'BL')).line, `BLP 22 ${v + 3} BL`);
    await nothingFor(bobNs, carolNs, daveNs);
    assert.equal((await send(aliceNs, 'CHG', 23, 'NLN')).line, 'CHG 23 NLN');
    assert.deepEqual(await flush(carolNs), [nln('NLN', alice)]);
    await nothingFor(bobNs, daveNs);
  });

  test('AL/BL edits tell an account that does not watch nothing; its later ADD FL shows the result', async () => {
    const [alice, dave] = await accounts('alice', 'dave');
    await setLists(alice, dave, { FL: true });
    const daveNs = await online(dave);
    const aliceNs = await online(alice);
    track(aliceNs, daveNs);
    const v = await versionOf(alice);
    assert.equal((await send(aliceNs, 'ADD', 30, 'BL', dave.handle, dave.name)).line, `ADD 30 BL ${v + 1} ${dave.handle} ${dave.name}`);
    await nothingFor(daveNs);
    // Dave starts watching the blocking Alice: no ILN (9.8); Alice gets ADD 0 RL.
    const add = await send(daveNs, 'ADD', 31, 'FL', alice.handle, alice.name);
    assert.equal(add.line, `ADD 31 FL ${await versionOf(dave)} ${alice.handle} ${alice.name}`);
    assert.deepEqual(await flush(daveNs), []);
    assert.deepEqual(await flush(aliceNs), [`ADD 0 RL ${v + 2} ${dave.handle} ${dave.name}`]);
    assert.equal((await send(aliceNs, 'REM', 32, 'BL', dave.handle)).line, `REM 32 BL ${v + 3} ${dave.handle}`);
    assert.deepEqual(await flush(daveNs), [nln('NLN', alice)]);
  });

  test('a watcher that is signed in but not present is told nothing; its ILN batch reflects the latest state', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await signIn(bob);
    const aliceNs = await online(alice, 'IDL');
    track(aliceNs, bobNs);
    const v = await versionOf(alice);
    assert.equal((await send(aliceNs, 'ADD', 30, 'BL', bob.handle, bob.name)).line, `ADD 30 BL ${v + 1} ${bob.handle} ${bob.name}`);
    await nothingFor(bobNs);
    assert.equal((await send(aliceNs, 'REM', 31, 'BL', bob.handle)).line, `REM 31 BL ${v + 2} ${bob.handle}`);
    assert.equal((await send(aliceNs, 'ADD', 32, 'BL', bob.handle, bob.name)).line, `ADD 32 BL ${v + 3} ${bob.handle} ${bob.name}`);
    await nothingFor(bobNs);
    assert.equal((await send(bobNs, 'CHG', 9, 'NLN')).line, 'CHG 9 NLN');
    assert.deepEqual(await flush(bobNs), []);
    assert.equal((await send(aliceNs, 'REM', 33, 'BL', bob.handle)).line, `REM 33 BL ${v + 4} ${bob.handle}`);
    assert.deepEqual(await flush(bobNs), [nln('IDL', alice)]);
  });
});

describe('FL edits (MSNP5.md 9.8, 9.9, 9.12; sessions.md 4, 5)', () => {
  test("ADD FL of a visible, allowing contact: reply, BPR lines, then ILN with the ADD's TrID", async () => {
    const [alice, dave] = await accounts('alice', 'dave');
    const daveNs = await online(dave);
    const aliceNs = await signIn(alice);
    track(aliceNs, daveNs);
    await aliceNs.sync(0);
    assert.equal((await send(aliceNs, 'CHG', 9, 'NLN')).line, 'CHG 9 NLN');
    assert.deepEqual(await flush(aliceNs), []);
    const v = (await versionOf(alice)) + 1;
    const vDave = (await versionOf(dave)) + 1;
    const nick = dave.handle.replace('@', '%40');
    const add = await send(aliceNs, 'ADD', 21, 'FL', dave.handle, nick);
    assert.equal(add.line, `ADD 21 FL ${v} ${dave.handle} ${nick}`);
    assert.deepEqual(await flush(aliceNs), [...blankPhones(v, dave), iln(21, 'NLN', dave)]);
    assert.deepEqual(await flush(daveNs), [`ADD 0 RL ${vDave} ${alice.handle} ${alice.name}`]);
    // From now on Alice follows Dave's presence.
    assert.equal((await send(daveNs, 'CHG', 22, 'BSY')).line, 'CHG 22 BSY');
    assert.deepEqual(await flush(aliceNs), [nln('BSY', dave)]);
  });

  test('ADD FL of an offline, hidden, blocking or BLP-BL contact: no ILN; NLN follows once it is visible to the adder', async () => {
    const [alice, bob, carol, dave, erin] = await accounts('alice', 'bob', 'carol', 'dave', 'erin');
    await setLists(carol, alice, { BL: true });
    await setBlp(dave, 'BL');
    const bobNs = await online(bob, 'HDN');
    const carolNs = await online(carol);
    const daveNs = await online(dave);
    // erin is offline
    const aliceNs = await signIn(alice);
    track(aliceNs, bobNs, carolNs, daveNs);
    await aliceNs.sync(0);
    assert.equal((await send(aliceNs, 'CHG', 9, 'NLN')).line, 'CHG 9 NLN');
    let trid = 30;
    for (const contact of [bob, carol, dave, erin]) {
      const add = await send(aliceNs, 'ADD', ++trid, 'FL', contact.handle, contact.name);
      const v = await versionOf(alice);
      assert.equal(add.line, `ADD ${trid} FL ${v} ${contact.handle} ${contact.name}`);
      assert.deepEqual(await flush(aliceNs), blankPhones(v, contact), `after ADD FL ${contact.handle}`);
    }
    await Promise.all([bobNs, carolNs, daveNs].map((c) => c.conn.next('ADD')));
    assert.equal((await send(bobNs, 'CHG', 40, 'AWY')).line, 'CHG 40 AWY');
    assert.deepEqual(await flush(aliceNs), [nln('AWY', bob)]);
    assert.equal((await send(carolNs, 'CHG', 41, 'BSY')).line, 'CHG 41 BSY');
    assert.deepEqual(await flush(aliceNs), []);
    assert.equal((await send(carolNs, 'REM', 42, 'BL', alice.handle)).line, `REM 42 BL ${await versionOf(carol)} ${alice.handle}`);
    assert.deepEqual(await flush(aliceNs), [nln('BSY', carol)]);
    assert.equal(
      (await send(daveNs, 'ADD', 43, 'AL', alice.handle, alice.name)).line,
      `ADD 43 AL ${await versionOf(dave)} ${alice.handle} ${alice.name}`,
    );
    assert.deepEqual(await flush(aliceNs), [nln('NLN', dave)]);
    const erinNs = await online(erin, 'IDL');
    track(erinNs);
    assert.deepEqual(await flush(aliceNs), [nln('IDL', erin)]);
  });

  test('REM FL: the remover gets no FLN and no further presence of that contact; ADD FL again gives ILN', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(alice, bob);
    const bobNs = await online(bob);
    const aliceNs = await online(alice);
    track(aliceNs, bobNs);
    const v = await versionOf(alice);
    const vBob = await versionOf(bob);
    assert.equal((await send(aliceNs, 'REM', 30, 'FL', bob.handle)).line, `REM 30 FL ${v + 1} ${bob.handle}`);
    assert.deepEqual(await flush(aliceNs), []);
    assert.deepEqual(await flush(bobNs), [`REM 0 RL ${vBob + 1} ${alice.handle}`]);
    assert.equal((await send(bobNs, 'CHG', 31, 'BSY')).line, 'CHG 31 BSY');
    assert.equal((await send(bobNs, 'REA', 32, bob.handle, 'Bobby')).line, `REA 32 ${vBob + 2} ${bob.handle} Bobby`);
    assert.equal((await send(bobNs, 'CHG', 33, 'HDN')).line, 'CHG 33 HDN');
    assert.equal((await send(bobNs, 'CHG', 34, 'LUN')).line, 'CHG 34 LUN');
    await nothingFor(aliceNs);
    assert.equal((await send(aliceNs, 'ADD', 35, 'FL', bob.handle, bob.name)).line, `ADD 35 FL ${v + 2} ${bob.handle} ${bob.name}`);
    assert.deepEqual(await flush(aliceNs), [`ILN 35 LUN ${bob.handle} Bobby`]);
    assert.deepEqual(await flush(bobNs), [`ADD 0 RL ${vBob + 3} ${alice.handle} ${alice.name}`]);
    await signOut(bobNs);
    assert.equal((await aliceNs.conn.next(PRESENCE)).line, fln(bob));
  });
});

describe('ending a session (MSNP5.md 9.26, 10.6, D-12, D-14)', () => {
  test('OUT of a visible user: OUT, close, then FLN only to allowed present watchers', async () => {
    const [alice, bob, carol, dave, erin] = await accounts('alice', 'bob', 'carol', 'dave', 'erin');
    await watch(bob, alice); // allowed
    await watch(carol, alice);
    await setLists(alice, carol, { BL: true }); // blocked
    await watch(dave, alice); // allowed, but never present
    await setLists(alice, erin, { AL: true }); // allowed, not watching
    const bobNs = await online(bob);
    const carolNs = await online(carol);
    const daveNs = await signIn(dave);
    const erinNs = await online(erin);
    const aliceNs = await online(alice, 'AWY');
    track(bobNs, carolNs, daveNs, erinNs);
    assert.deepEqual(await flush(bobNs), [nln('AWY', alice)]);
    await signOut(aliceNs);
    assert.deepEqual(aliceNs.conn.drain(), []);
    assert.equal((await bobNs.conn.next(PRESENCE)).line, fln(alice));
    await nothingFor(bobNs, carolNs, daveNs, erinNs);
  });

  test('a dropped connection signs out like OUT: watchers get FLN', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const aliceNs = await online(alice, 'BSY');
    track(bobNs);
    assert.deepEqual(await flush(bobNs), [nln('BSY', alice)]);
    aliceNs.close();
    assert.equal((await bobNs.conn.next(PRESENCE)).line, fln(alice));
    assert.deepEqual(await flush(bobNs), []);
  });

  test('a watcher that came after the first CHG gets FLN at the sign-out too (the watchers read then are not reused)', async () => {
    const [alice, bob, carol] = await accounts('alice', 'bob', 'carol');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const aliceNs = await online(alice);
    const carolNs = await online(carol);
    track(bobNs, carolNs);
    assert.deepEqual(await flush(bobNs), [nln('NLN', alice)]);
    const add = await send(carolNs, 'ADD', 21, 'FL', alice.handle, alice.name);
    assert.match(add.line, /^ADD 21 FL \d+ /);
    assert.ok((await flush(carolNs)).includes(iln(21, 'NLN', alice)));
    assert.match((await aliceNs.conn.next('ADD')).line, /^ADD 0 RL \d+ /);
    await signOut(aliceNs);
    assert.equal((await carolNs.conn.next(PRESENCE)).line, fln(alice));
    assert.equal((await bobNs.conn.next(PRESENCE)).line, fln(alice));
  });

  test('a hidden user that signs out causes no FLN at all (D-12)', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const aliceNs = await online(alice);
    track(bobNs);
    assert.deepEqual(await flush(bobNs), [nln('NLN', alice)]);
    assert.equal((await send(aliceNs, 'CHG', 20, 'HDN')).line, 'CHG 20 HDN');
    assert.deepEqual(await flush(bobNs), [fln(alice)]);
    const quiet = bobNs.conn.expectNothing(PRESENCE, 300);
    await signOut(aliceNs);
    await quiet;
    // The next thing Bob sees of Alice is her NLN when she is back: no late second FLN.
    const again = await online(alice, 'BRB');
    track(again);
    assert.deepEqual(await flush(bobNs), [nln('BRB', alice)]);
  });

  test("signing in elsewhere: OUT OTH to the old session, FLN to watchers, NLN at the new session's CHG (sessions.md 15)", async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(alice, bob);
    await watch(bob, alice);
    const bobNs = await online(bob);
    const first = await online(alice);
    track(bobNs);
    assert.deepEqual(await flush(bobNs), [nln('NLN', alice)]);
    const second = await signIn(alice);
    track(second);
    assert.equal((await first.conn.next()).line, 'OUT OTH');
    await first.conn.closed;
    assert.deepEqual(first.conn.drain(), []);
    assert.deepEqual(await flush(bobNs), [fln(alice)]);
    await second.sync(0);
    await nothingFor(bobNs);
    assert.equal((await send(second, 'CHG', 6, 'NLN')).line, 'CHG 6 NLN');
    assert.deepEqual(await flush(second), [iln(6, 'NLN', bob)]);
    assert.deepEqual(await flush(bobNs), [nln('NLN', alice)]);
  });

  test("signing in elsewhere while hidden: OUT OTH, no FLN; the new session's CHG shows the user", async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const first = await online(alice, 'HDN');
    track(bobNs);
    await nothingFor(bobNs);
    const quiet = bobNs.conn.expectNothing(PRESENCE, 200);
    const second = await signIn(alice);
    track(second);
    assert.equal((await first.conn.next()).line, 'OUT OTH');
    await first.conn.closed;
    await quiet;
    assert.equal((await send(second, 'CHG', 6, 'BSY')).line, 'CHG 6 BSY');
    assert.deepEqual(await flush(bobNs), [nln('BSY', alice)]);
  });
});

describe('XFR SB needs a visible session (MSNP5.md 9.2, 10.4)', () => {
  test('913 before the first CHG and while HDN; a referral while visible', async () => {
    const [alice] = await accounts('alice');
    const aliceNs = await signIn(alice);
    track(aliceNs);
    const referral = /^XFR \d+ SB 127\.0\.0\.1:\d+ CKI \d+(\.\d+)+$/;
    assert.equal((await send(aliceNs, 'XFR', 10, 'SB')).line, '913 10');
    assert.equal((await send(aliceNs, 'CHG', 11, 'NLN')).line, 'CHG 11 NLN');
    assert.match((await send(aliceNs, 'XFR', 12, 'SB')).line, referral);
    assert.equal((await send(aliceNs, 'CHG', 13, 'HDN')).line, 'CHG 13 HDN');
    assert.equal((await send(aliceNs, 'XFR', 14, 'SB')).line, '913 14');
    assert.equal((await send(aliceNs, 'CHG', 15, 'BSY')).line, 'CHG 15 BSY');
    const reply = await send(aliceNs, 'XFR', 16, 'SB');
    assert.match(reply.line, referral);
    assert.ok(reply.line.startsWith('XFR 16 SB '));
  });
});

describe('IMS (MSNP5.md 9.22; sessions.md 18)', () => {
  test('IMS OFF and ON are answered with a 0; status and watchers are untouched', async () => {
    const [alice, bob] = await accounts('alice', 'bob');
    await watch(bob, alice);
    const bobNs = await online(bob);
    const aliceNs = await online(alice, 'BSY');
    track(aliceNs, bobNs);
    await flush(bobNs);
    assert.equal((await send(aliceNs, 'IMS', 120, 'OFF')).line, 'IMS 120 0 OFF');
    assert.equal((await send(aliceNs, 'IMS', 121, 'OFF')).line, 'IMS 121 0 OFF');
    assert.equal((await send(aliceNs, 'IMS', 122, 'ON')).line, 'IMS 122 0 ON');
    await nothingFor(bobNs, aliceNs);
    // Still BSY: the same status is echoed without a notification, another one is.
    assert.equal((await send(aliceNs, 'CHG', 123, 'BSY')).line, 'CHG 123 BSY');
    await nothingFor(bobNs);
    assert.equal((await send(aliceNs, 'CHG', 124, 'NLN')).line, 'CHG 124 NLN');
    assert.deepEqual(await flush(bobNs), [nln('NLN', alice)]);
  });

  test('IMS before the first CHG is answered too', async () => {
    const [alice] = await accounts('alice');
    const aliceNs = await signIn(alice);
    track(aliceNs);
    assert.equal((await send(aliceNs, 'IMS', 10, 'OFF')).line, 'IMS 10 0 OFF');
  });

  for (const [label, args] of [
    ['a lower-case value', ['on']],
    ['an unknown value', ['MAYBE']],
    ['no value', []],
    ['two values', ['ON', 'OFF']],
  ] as const) {
    test(`IMS with ${label} closes the connection without a reply`, async () => {
      const [alice] = await accounts('alice');
      const aliceNs = await online(alice);
      aliceNs.conn.send('IMS', 7, ...args);
      await aliceNs.conn.closed;
      assert.deepEqual(aliceNs.conn.drain(), []);
    });
  }
});
