// Privacy (MSNP5.md 8.3): the one visibility rule, as a table, and as core reads it from the store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { factsFromOwnRecord } from '../../src/core/presence.ts';
import { allows, type PrivacyFacts } from '../../src/core/types.ts';
import { World } from './world.ts';

describe('allows(O, X) (MSNP5.md 8.3)', () => {
  // [BLP, X on AL, X on BL, allowed]. AL and BL together cannot be stored (8.2, 219), but the rule
  // still answers it: step 1 comes first.
  const table: [PrivacyFacts['blp'], boolean, boolean, boolean][] = [
    ['AL', false, false, true],
    ['AL', true, false, true],
    ['AL', false, true, false],
    ['AL', true, true, false],
    ['BL', false, false, false],
    ['BL', true, false, true],
    ['BL', false, true, false],
    ['BL', true, true, false],
  ];
  for (const [blp, viewerOnAL, viewerOnBL, expected] of table) {
    test(`8.3: BLP ${blp}, on AL ${viewerOnAL ? 'yes' : 'no'}, on BL ${viewerOnBL ? 'yes' : 'no'} → ${expected ? 'allowed' : 'refused'}`, () => {
      assert.equal(allows({ blp, viewerOnAL, viewerOnBL }), expected);
    });
  }

  test('8.3: the facts of a viewer the owner has no record of are "on neither list"', () => {
    assert.deepEqual(factsFromOwnRecord('BL', undefined), { blp: 'BL', viewerOnAL: false, viewerOnBL: false });
    assert.equal(allows(factsFromOwnRecord('AL', undefined)), true);
    assert.equal(allows(factsFromOwnRecord('BL', undefined)), false);
  });
});

describe('UserSession.allowsViewer reads 8.3 from the store (MSNP5.md 8.3, 10.5)', () => {
  let w: World;
  before(async () => {
    w = await World.open();
  });
  after(() => w.close());

  test('8.3: BLP AL allows a stranger; BL on the owner refuses; BL beats FL', async () => {
    const a = await w.accounts({ owner: 'Owner', viewer: 'Viewer' });
    const { user } = await w.signIn(a.owner);
    assert.equal(await user.allowsViewer(a.viewer.handle), true);
    await user.add('FL', a.viewer.handle, 'Viewer');
    await user.add('BL', a.viewer.handle, 'Viewer');
    assert.equal(await user.allowsViewer(a.viewer.handle), false);
  });

  test('8.3: BLP BL refuses a stranger and allows an AL entry; the setting is read at the time of asking', async () => {
    const a = await w.accounts({ owner: 'Owner', friend: 'Friend', stranger: 'Stranger' });
    const { user } = await w.signIn(a.owner);
    await user.setBlp('BL');
    await user.add('AL', a.friend.handle, 'Friend');
    assert.equal(await user.allowsViewer(a.friend.handle), true);
    assert.equal(await user.allowsViewer(a.stranger.handle), false);
    await user.setBlp('AL');
    assert.equal(await user.allowsViewer(a.stranger.handle), true);
  });

  test("8.3: the viewer being on the owner's RL (the viewer watches) grants nothing by itself", async () => {
    const a = await w.accounts({ owner: 'Owner', watcher: 'Watcher' });
    const owner = await w.signIn(a.owner);
    const watcher = await w.signIn(a.watcher);
    await owner.user.setBlp('BL');
    await watcher.user.add('FL', a.owner.handle, 'Owner');
    assert.deepEqual((await w.record(a.owner, a.watcher))?.lists, { FL: false, AL: false, BL: false, RL: true });
    assert.equal(await owner.user.allowsViewer(a.watcher.handle), false);
  });

  test('an unknown viewer is not allowed', async () => {
    const a = await w.accounts({ owner: 'Owner' });
    const { user } = await w.signIn(a.owner);
    assert.equal(await user.allowsViewer('nobody-at-all@example.com'), false);
  });
});
