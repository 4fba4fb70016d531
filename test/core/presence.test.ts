// Presence (MSNP5.md 10.2 the one rule, 10.3 its events, 9.12 ILN, 10.4 HDN, 10.6 sign-out) through
// UserSession, the real bus and store; each watcher's lines are what its session would write.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Account } from '../../src/core/types.ts';
import { ServiceUnavailableError } from '../../src/core/unavailable.ts';
import { type SignedIn, World } from './world.ts';

let w: World;
before(async () => {
  w = await World.open();
});
after(() => w.close());

/** X and watchers R and V, both present with X on their FL, seeing X offline; X signed in, not present. */
async function cast(): Promise<{ a: Record<'x' | 'r' | 'v', Account>; X: SignedIn; R: SignedIn; V: SignedIn }> {
  const a = await w.accounts({ x: 'X', r: 'R', v: 'V' });
  const R = await w.online(a.r);
  const V = await w.online(a.v);
  await R.user.add('FL', a.x.handle, 'X');
  await V.user.add('FL', a.x.handle, 'X');
  const X = await w.signIn(a.x);
  R.endpoint.clear();
  V.endpoint.clear();
  return { a, X, R, V };
}

describe('the one rule (MSNP5.md 10.2) and the events of 10.3', () => {
  test("10.3: X's first CHG → every watcher allowed to see X gets NLN", async () => {
    const { a, X, R, V } = await cast();
    await X.user.changeStatus('BSY');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN BSY ${a.x.handle} X`]);
    assert.deepEqual(V.endpoint.takeShown(), [`NLN BSY ${a.x.handle} X`]);
  });

  test('10.3: CHG to another visible status → NLN with it; the same status again → nothing at all', async () => {
    const { a, X, R } = await cast();
    await X.user.changeStatus('NLN');
    R.endpoint.clear();
    await X.user.changeStatus('AWY');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN AWY ${a.x.handle} X`]);
    await X.user.changeStatus('AWY');
    assert.deepEqual(R.endpoint.events, [], 'no event is even published');
  });

  test('a status change after a list change tells the watchers as they are then: one gone here, one added by another connection', async () => {
    const { a, X, R, V } = await cast();
    await X.user.changeStatus('NLN');
    await X.user.changeStatus('BSY');
    R.endpoint.clear();
    V.endpoint.clear();
    await V.user.remove('FL', a.x.handle);
    V.endpoint.clear();
    await X.user.changeStatus('AWY');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN AWY ${a.x.handle} X`]);
    assert.deepEqual(V.endpoint.take('presence'), [], 'V no longer watches X');

    w.addWatcherFromAnotherConnection(a.x, a.v);
    await new Promise((resolve) => setImmediate(resolve));
    await X.user.changeStatus('PHN');
    assert.deepEqual(
      V.endpoint.take('presence').map((event) => [event.contact, event.shown?.status]),
      [[a.x.handle, 'PHN']],
    );
    assert.deepEqual(R.endpoint.takeShown(), [`NLN PHN ${a.x.handle} X`]);
  });

  test('a CHG whose watchers cannot be read (after the reply) is made all the same; the next CHG, even to the same status, tells them', async () => {
    const { a, X, R } = await cast();
    await X.user.changeStatus('NLN');
    // A list change, so that the watchers kept at the first CHG no longer hold and are read again.
    await R.user.add('AL', a.v.handle, 'V');
    R.endpoint.clear();
    const read = w.store.read.bind(w.store);
    w.store.read = async () => {
      throw new ServiceUnavailableError('store', new Error('test: store down'));
    };
    try {
      await X.user.changeStatus('AWY');
    } finally {
      w.store.read = read;
    }
    assert.equal(X.user.currentStatus, 'AWY');
    assert.deepEqual(R.endpoint.events, [], 'not told yet');
    await X.user.changeStatus('AWY');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN AWY ${a.x.handle} X`]);
    await X.user.changeStatus('AWY');
    assert.deepEqual(R.endpoint.events, [], 'caught up: the same status again tells nothing');
  });

  test('10.3, 10.4: CHG HDN → FLN; from HDN to a visible status → NLN', async () => {
    const { a, X, R } = await cast();
    await X.user.changeStatus('NLN');
    R.endpoint.clear();
    await X.user.changeStatus('HDN');
    assert.deepEqual(R.endpoint.takeShown(), [`FLN ${a.x.handle}`]);
    await X.user.changeStatus('HDN');
    assert.deepEqual(R.endpoint.takeShown(), []);
    await X.user.changeStatus('IDL');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN IDL ${a.x.handle} X`]);
  });

  test('10.4: a first CHG to HDN shows watchers nothing (they already see X offline)', async () => {
    const { X, R } = await cast();
    await X.user.changeStatus('HDN');
    assert.deepEqual(R.endpoint.takeShown(), []);
  });

  test('10.3, 9.10: REA of oneself while visible → NLN with the new name; while hidden → nothing', async () => {
    const { a, X, R } = await cast();
    await X.user.changeStatus('NLN');
    R.endpoint.clear();
    await X.user.renameSelf('Xavier');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN NLN ${a.x.handle} Xavier`]);
    await X.user.changeStatus('HDN');
    R.endpoint.clear();
    await X.user.renameSelf('Xaver');
    assert.deepEqual(R.endpoint.takeShown(), []);
    await X.user.changeStatus('NLN');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN NLN ${a.x.handle} Xaver`]);
  });

  test('10.3, 10.6: signing out → FLN; signing out while hidden → nothing (D-12: no second FLN)', async () => {
    const { a, X, R } = await cast();
    await X.user.changeStatus('NLN');
    R.endpoint.clear();
    await w.signOut(X);
    assert.deepEqual(R.endpoint.takeShown(), [`FLN ${a.x.handle}`]);
    const again = await w.signIn(a.x);
    await again.user.changeStatus('NLN');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN NLN ${a.x.handle} X`]);
    await again.user.changeStatus('HDN');
    R.endpoint.clear();
    await w.signOut(again);
    assert.deepEqual(R.endpoint.takeShown(), []);
  });

  test('10.6: a session that never sent CHG signs out without telling anyone', async () => {
    const { X, R } = await cast();
    await w.signOut(X);
    assert.deepEqual(R.endpoint.events, []);
  });

  test('10.3: X ADD BL R → FLN to R only; X REM BL R (BLP AL) → NLN to R only', async () => {
    const { a, X, R, V } = await cast();
    await X.user.changeStatus('NLN');
    R.endpoint.clear();
    V.endpoint.clear();
    await X.user.add('BL', a.r.handle, 'R');
    assert.deepEqual(R.endpoint.takeShown(), [`FLN ${a.x.handle}`]);
    assert.deepEqual(V.endpoint.events, []);
    await X.user.remove('BL', a.r.handle);
    assert.deepEqual(R.endpoint.takeShown(), [`NLN NLN ${a.x.handle} X`]);
    assert.deepEqual(V.endpoint.events, []);
  });

  test('10.3: under BLP BL, X ADD AL R → NLN to R; X REM AL R → FLN to R', async () => {
    const { a, X, R, V } = await cast();
    await X.user.setBlp('BL');
    await X.user.changeStatus('NLN');
    assert.deepEqual(R.endpoint.takeShown(), []);
    await X.user.add('AL', a.r.handle, 'R');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN NLN ${a.x.handle} X`]);
    await X.user.remove('AL', a.r.handle);
    assert.deepEqual(R.endpoint.takeShown(), [`FLN ${a.x.handle}`]);
    assert.deepEqual(V.endpoint.takeShown(), []);
  });

  test('10.3: an AL/BL change about someone who does not watch X tells nobody', async () => {
    const { X, R, V } = await cast();
    const { s } = await w.accounts({ s: 'S' });
    const S = await w.online(s);
    await X.user.changeStatus('NLN');
    R.endpoint.clear();
    V.endpoint.clear();
    await X.user.add('BL', s.handle, 'S');
    assert.deepEqual([R.endpoint.events, V.endpoint.events, S.endpoint.events], [[], [], []]);
  });

  test('10.3: BLP change flips only the watchers whose permission flipped', async () => {
    const { a, X, R, V } = await cast();
    await X.user.add('AL', a.r.handle, 'R');
    await X.user.changeStatus('LUN');
    R.endpoint.clear();
    V.endpoint.clear();
    await X.user.setBlp('BL');
    assert.deepEqual(R.endpoint.takeShown(), [], 'R is on AL');
    assert.deepEqual(V.endpoint.takeShown(), [`FLN ${a.x.handle}`]);
    await X.user.setBlp('AL');
    assert.deepEqual(R.endpoint.takeShown(), []);
    assert.deepEqual(V.endpoint.takeShown(), [`NLN LUN ${a.x.handle} X`]);
  });

  test('10.3: R REM FL X forgets X: no FLN then, and nothing about X afterwards', async () => {
    const { a, X, R } = await cast();
    await X.user.changeStatus('NLN');
    R.endpoint.clear();
    await R.user.remove('FL', a.x.handle);
    assert.deepEqual(R.endpoint.takeShown(), []);
    await X.user.changeStatus('BSY');
    await w.signOut(X);
    assert.deepEqual(R.endpoint.takeShown(), []);
  });

  test('10.2: presence never reaches a watcher that is not present (no CHG yet)', async () => {
    const { a, X } = await cast();
    const { l } = await w.accounts({ l: 'L' });
    const L = await w.signIn(l);
    await L.user.add('FL', a.x.handle, 'X');
    await X.user.changeStatus('NLN');
    // L has no presence record yet: X's first CHG skips it (L's own first CHG will read X's record).
    assert.equal(L.endpoint.take('presence').length, 0, 'a first CHG tells only watchers with a record');
    await X.user.changeStatus('BSY');
    assert.equal(L.endpoint.take('presence').length, 1, 'a later change goes to every watcher, present or not');
    assert.deepEqual(L.endpoint.shown, [], 'the session shows nothing of it');
    const { initial } = await L.user.changeStatus('NLN');
    assert.deepEqual(
      initial?.map((p) => [p.handle, p.shown.status]),
      [[a.x.handle, 'BSY']],
      'its first CHG reads what it was not told',
    );
  });

  test("10.2: an event about an account not on the watcher's FL shows nothing", async () => {
    const { R } = await cast();
    assert.equal(
      R.user.presenceUpdate({ kind: 'presence', contact: 'other@example.com', seq: 99, shown: { status: 'NLN', name: 'O' } }),
      undefined,
    );
  });

  test('10.2: an event older than the last one shown (lower or equal seq) is dropped', async () => {
    const { a, X, R } = await cast();
    await X.user.changeStatus('NLN');
    await X.user.changeStatus('BSY');
    const [first, second] = R.endpoint.take('presence');
    assert.ok(first && second && first.seq < second.seq);
    assert.equal(R.user.presenceUpdate(first), undefined, 'the older NLN arrives late');
    assert.equal(R.user.presenceUpdate(second), undefined, 'the same event twice');
    assert.equal(R.user.presenceUpdate({ ...first, seq: second.seq, shown: null }), undefined, 'same seq, other content');
    const newer = { kind: 'presence' as const, contact: a.x.handle, seq: second.seq + 1, shown: null };
    assert.equal(R.user.presenceUpdate(newer), null, 'a newer FLN still counts');
  });

  test('10.2: an event with a newer seq but what the watcher already sees shows nothing', async () => {
    const { X, R } = await cast();
    await X.user.changeStatus('NLN');
    R.endpoint.clear();
    await X.user.republishPresence();
    const [event] = R.endpoint.events;
    assert.ok(event?.kind === 'presence', 'republished with a new seq');
    assert.deepEqual(R.endpoint.shown, []);
    assert.equal(R.user.presenceUpdate({ ...event, seq: event.seq + 5 }), undefined);
  });

  test('10.6, D-14: a second login kicks the first with OTH; watchers see FLN, then NLN at the new first CHG', async () => {
    const { a, X, R } = await cast();
    await X.user.changeStatus('NLN');
    R.endpoint.clear();
    const second = await w.signIn(a.x);
    assert.deepEqual(X.endpoint.kicks, ['OTH']);
    assert.deepEqual(R.endpoint.takeShown(), [`FLN ${a.x.handle}`]);
    assert.equal(await w.bus.routes.isSignedIn(a.x.handle), true);
    await second.user.changeStatus('NLN');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN NLN ${a.x.handle} X`]);
  });
});

describe('initial presence (MSNP5.md 9.12, 9.8)', () => {
  test('9.12: the first CHG returns one ILN per FL contact that is visible and allows the user; later CHGs none', async () => {
    const a = await w.accounts({ r: 'R', on: 'On', hidden: 'Hidden', blocks: 'Blocks', off: 'Off', strict: 'Strict', friend: 'Friend' });
    const R = await w.signIn(a.r);
    for (const key of ['on', 'hidden', 'blocks', 'off', 'strict', 'friend'] as const) await R.user.add('FL', a[key].handle, key);
    await (await w.signIn(a.on)).user.changeStatus('PHN');
    await (await w.signIn(a.hidden)).user.changeStatus('HDN');
    const blocks = await w.signIn(a.blocks);
    await blocks.user.add('BL', a.r.handle, 'R');
    await blocks.user.changeStatus('NLN');
    const strict = await w.signIn(a.strict);
    await strict.user.setBlp('BL');
    await strict.user.changeStatus('NLN');
    const friend = await w.signIn(a.friend);
    await friend.user.setBlp('BL');
    await friend.user.add('AL', a.r.handle, 'R');
    await friend.user.changeStatus('AWY');
    const { initial } = await R.user.changeStatus('NLN');
    assert.deepEqual(
      initial?.sort((p, q) => p.handle.localeCompare(q.handle)),
      [
        { handle: a.friend.handle, shown: { status: 'AWY', name: 'Friend' } },
        { handle: a.on.handle, shown: { status: 'PHN', name: 'On' } },
      ].sort((p, q) => p.handle.localeCompare(q.handle)),
    );
    assert.deepEqual(await R.user.changeStatus('BSY'), {});
  });

  test('9.12: the ILN batch initialises the memory of 10.2: a later change of a contact shows as NLN/FLN', async () => {
    const a = await w.accounts({ r: 'R', x: 'X' });
    const R = await w.signIn(a.r);
    await R.user.add('FL', a.x.handle, 'X');
    const X = await w.online(a.x);
    assert.equal((await R.user.changeStatus('NLN')).initial?.length, 1);
    await X.user.changeStatus('NLN');
    assert.deepEqual(R.endpoint.takeShown(), [], 'X already shown as NLN by ILN');
    await X.user.changeStatus('HDN');
    assert.deepEqual(R.endpoint.takeShown(), [`FLN ${a.x.handle}`]);
  });

  test('9.8: ADD FL while present returns the ILN of a visible contact that allows the adder', async () => {
    const a = await w.accounts({ r: 'R', x: 'X' });
    const R = await w.online(a.r);
    await w.online(a.x, 'BRB');
    const added = await R.user.add('FL', a.x.handle, 'X');
    assert.ok('ok' in added);
    assert.deepEqual(added.initial, { status: 'BRB', name: 'X' });
  });

  test('9.8: no ILN after ADD FL for a contact that blocks the adder, is hidden, or when the adder is not present', async () => {
    const a = await w.accounts({ r: 'R', blocks: 'Blocks', hidden: 'Hidden', p: 'P' });
    const R = await w.online(a.r);
    const blocks = await w.signIn(a.blocks);
    await blocks.user.add('BL', a.r.handle, 'R');
    await blocks.user.changeStatus('NLN');
    await w.online(a.hidden, 'HDN');
    const r1 = await R.user.add('FL', a.blocks.handle, 'B');
    const r2 = await R.user.add('FL', a.hidden.handle, 'H');
    assert.ok('ok' in r1 && 'ok' in r2);
    assert.equal(r1.initial, undefined);
    assert.equal(r2.initial, undefined);
    const P = await w.signIn(a.p);
    const r3 = await P.user.add('FL', a.r.handle, 'R');
    assert.ok('ok' in r3);
    assert.equal(r3.initial, undefined);
  });

  test("9.8: after an ADD FL, the new contact's changes reach the adder", async () => {
    const a = await w.accounts({ r: 'R', x: 'X' });
    const R = await w.online(a.r);
    const X = await w.online(a.x);
    await R.user.add('FL', a.x.handle, 'X');
    await X.user.changeStatus('BSY');
    assert.deepEqual(R.endpoint.takeShown(), [`NLN BSY ${a.x.handle} X`]);
  });
});
