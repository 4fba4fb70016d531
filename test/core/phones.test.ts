// Phones (MSNP5.md 8.1, 9.14 PRP, 9.15 BPR, D-10): what is stored, who is told, with which value.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { changePhone, setMobileEnabled } from '../../src/core/phones.ts';
import { phonesAsSeen } from '../../src/core/session.ts';
import { NO_PHONES, type Phones } from '../../src/core/types.ts';
import { World } from './world.ts';

let w: World;
before(async () => {
  w = await World.open();
});
after(() => w.close());

const SET: Phones = { PHH: '1%20555', PHW: '2', PHM: '3', MOB: 'Y', MBE: 'Y' };

describe('PRP (MSNP5.md 9.14)', () => {
  test('9.14: MOB Y while MBE is N is stored and answered as N', async () => {
    const a = await w.accounts({ o: 'O' });
    const { user } = await w.signIn(a.o);
    assert.deepEqual(await user.setPhone('MOB', 'Y'), { version: 2, value: 'N' });
    assert.equal((await w.store.findAccount(a.o.handle))?.phones.MOB, 'N');
  });

  test('9.14: MOB Y with MBE Y is stored as Y; MOB N as N', async () => {
    const a = await w.accounts({ o: 'O' }, { o: { phones: { MBE: 'Y' } } });
    const { user } = await w.signIn(a.o);
    assert.deepEqual(await user.setPhone('MOB', 'Y'), { version: 2, value: 'Y' });
    assert.deepEqual(await user.setPhone('MOB', 'N'), { version: 3, value: 'N' });
  });

  test('9.14: a number is stored as sent (encoded); an empty value clears it', async () => {
    const a = await w.accounts({ o: 'O' });
    const { user } = await w.signIn(a.o);
    assert.deepEqual(await user.setPhone('PHH', '123%20(4567)'), { version: 2, value: '123%20(4567)' });
    assert.equal((await w.store.findAccount(a.o.handle))?.phones.PHH, '123%20(4567)');
    assert.deepEqual(await user.setPhone('PHH', ''), { version: 3, value: '' });
    assert.deepEqual((await w.store.findAccount(a.o.handle))?.phones, NO_PHONES);
  });

  test('9.14, D-10: every watcher gets a BPR with its own version; a watcher O does not allow gets it blank', async () => {
    const a = await w.accounts({ o: 'O', fan: 'Fan', blocked: 'Blocked', mine: 'Mine' }, { o: { phones: { MBE: 'Y' } } });
    const O = await w.signIn(a.o);
    const fan = await w.signIn(a.fan);
    const blocked = await w.signIn(a.blocked);
    const mine = await w.signIn(a.mine);
    await fan.user.add('FL', a.o.handle, 'O');
    await blocked.user.add('FL', a.o.handle, 'O');
    await O.user.add('BL', a.blocked.handle, 'B');
    await O.user.add('FL', a.mine.handle, 'M'); // on O's FL, but not watching O
    for (const s of [fan, blocked, mine]) s.endpoint.clear();
    await O.user.setPhone('PHM', '555%201');
    await O.user.setPhone('MOB', 'Y');
    const [vFan, vBlocked] = await w.versions(a.fan, a.blocked);
    assert.deepEqual(fan.endpoint.take('phone'), [
      { kind: 'phone', version: vFan! - 1, contact: a.o.handle, property: 'PHM', value: '555%201' },
      { kind: 'phone', version: vFan!, contact: a.o.handle, property: 'MOB', value: 'Y' },
    ]);
    assert.deepEqual(blocked.endpoint.take('phone'), [
      { kind: 'phone', version: vBlocked! - 1, contact: a.o.handle, property: 'PHM', value: '' },
      { kind: 'phone', version: vBlocked!, contact: a.o.handle, property: 'MOB', value: 'N' },
    ]);
    assert.deepEqual(mine.endpoint.events, []);
  });

  test('D-10: under BLP BL only AL entries get the real value', async () => {
    const a = await w.accounts({ o: 'O', friend: 'Friend', other: 'Other' }, { o: { blp: 'BL' } });
    const O = await w.signIn(a.o);
    const friend = await w.signIn(a.friend);
    const other = await w.signIn(a.other);
    await friend.user.add('FL', a.o.handle, 'O');
    await other.user.add('FL', a.o.handle, 'O');
    await O.user.add('AL', a.friend.handle, 'F');
    await O.user.setPhone('PHW', '42');
    assert.deepEqual(
      friend.endpoint.take('phone').map((e) => e.value),
      ['42'],
    );
    assert.deepEqual(
      other.endpoint.take('phone').map((e) => e.value),
      [''],
    );
  });

  test("9.14: a change made without a session (the web's mobile page) reaches watchers the same way", async () => {
    const a = await w.accounts({ o: 'O', fan: 'Fan' });
    const fan = await w.signIn(a.fan);
    await fan.user.add('FL', a.o.handle, 'O');
    const change = await changePhone(w.store, w.bus, a.o.id, 'PHH', '77');
    // O is at 2 after Fan's ADD FL put Fan on O's RL (8.4); the PRP makes it 3.
    assert.deepEqual([change.version, change.value, change.account.phones.PHH], [3, '77', '77']);
    assert.deepEqual(
      fan.endpoint.take('phone').map((e) => [e.property, e.value]),
      [['PHH', '77']],
    );
  });
});

describe('MBE, server-controlled (MSNP5.md 8.1, 9.14, 9.15)', () => {
  test('9.15: turning MBE on tells no watcher; turning it off stores MOB N and tells watchers MOB N', async () => {
    const a = await w.accounts({ o: 'O', fan: 'Fan' });
    const fan = await w.signIn(a.fan);
    await fan.user.add('FL', a.o.handle, 'O');
    const on = await setMobileEnabled(w.store, w.bus, a.o.id, true);
    assert.equal(on.phones.MBE, 'Y');
    assert.deepEqual(fan.endpoint.events, []);
    await changePhone(w.store, w.bus, a.o.id, 'MOB', 'Y');
    fan.endpoint.clear();
    const before = await w.version(a.o);
    const off = await setMobileEnabled(w.store, w.bus, a.o.id, false);
    assert.deepEqual([off.phones.MBE, off.phones.MOB], ['N', 'N']);
    assert.ok(off.listVersion > before);
    assert.deepEqual(
      fan.endpoint.take('phone').map((e) => [e.property, e.value]),
      [['MOB', 'N']],
    );
  });

  test('9.15: turning MBE off with MOB already N tells nobody', async () => {
    const a = await w.accounts({ o: 'O', fan: 'Fan' }, { o: { phones: { MBE: 'Y' } } });
    const fan = await w.signIn(a.fan);
    await fan.user.add('FL', a.o.handle, 'O');
    fan.endpoint.clear();
    await setMobileEnabled(w.store, w.bus, a.o.id, false);
    assert.deepEqual(fan.endpoint.events, []);
  });
});

describe('phones as a viewer sees them (MSNP5.md 9.8, 9.15, D-10)', () => {
  test('D-10: allowed viewers see the values; others blanks, MOB N, and the real MBE', () => {
    assert.deepEqual(phonesAsSeen(SET, true), SET);
    assert.deepEqual(phonesAsSeen(SET, false), { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: 'Y' });
  });

  test("9.8, D-10: ADD FL returns the new contact's phones as the adder may see them", async () => {
    const a = await w.accounts(
      { adder: 'Adder', open: 'Open', closed: 'Closed' },
      { open: { phones: SET }, closed: { phones: SET, blp: 'BL' } },
    );
    const { user } = await w.signIn(a.adder);
    const open = await user.add('FL', a.open.handle, 'Open');
    const closed = await user.add('FL', a.closed.handle, 'Closed');
    assert.ok('ok' in open && 'ok' in closed);
    assert.deepEqual(open.phones, SET);
    assert.deepEqual(closed.phones, phonesAsSeen(SET, false));
  });

  test('9.8: ADD AL and BL return no phones', async () => {
    const a = await w.accounts({ adder: 'Adder', x: 'X' }, { x: { phones: SET } });
    const { user } = await w.signIn(a.adder);
    const added = await user.add('AL', a.x.handle, 'X');
    assert.deepEqual(added, { ok: true, version: 2 });
  });
});
