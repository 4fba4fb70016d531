// Invitation e-mails (MSNP5.md 9.18 SND, 9.19 SDC): whom they go to and what they say.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type InvitationRequest, invitationMail, parseInviteTarget, queueInvitation } from '../../src/core/invitations.ts';
import { Outbox } from '../../src/core/outbox.ts';
import type { DirectoryHit } from '../../src/core/store.ts';
import type { Account } from '../../src/core/types.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { World } from './world.ts';

let w: World;
let outbox: Outbox;
before(async () => {
  w = await World.open();
  outbox = new Outbox(w.store);
});
after(() => w.close());

const request = (target: InvitationRequest['target'], note = ''): InvitationRequest => ({
  inviter: { handle: 'alice@example.com', name: 'Alice' },
  target,
  note,
  lcid: 1033,
  webUrl: 'http://msnd.example',
});

const hit = (account: Account): DirectoryHit => ({
  accountId: account.id,
  firstName: 'F',
  lastName: 'L',
  city: '',
  state: '',
  country: '',
});

describe('SND and SDC (MSNP5.md 9.18, 9.19)', () => {
  test('9.18: the target is an address, or digits: an index into the last FND result', () => {
    assert.deepEqual(parseInviteTarget('Bob@Example.com'), { address: 'bob@example.com' });
    assert.deepEqual(parseInviteTarget('2'), { index: 2 });
    assert.equal(parseInviteTarget('not-an-address'), undefined);
    assert.equal(parseInviteTarget('1234567890'), undefined, 'ten digits are neither');
  });

  test('9.19: an address gets the e-mail, from the inviter, once committed', async () => {
    const queued = await queueInvitation(w.store, outbox, [], request({ address: 'zed@example.net' }));
    assert.ok('ok' in queued);
    const item = await w.store.outboxItem(queued.id);
    assert.deepEqual([item?.kind, item?.recipient, item?.sender], ['email', 'zed@example.net', 'alice@example.com']);
  });

  test("9.19: an index goes to the entry's preferred e-mail, else its handle", async () => {
    const a = await w.accounts({ plain: 'P', prefers: 'Q' }, { prefers: { profile: { preferredEmail: 'q@home.example' } } });
    const found = [hit(a.plain), hit(a.prefers)];
    const first = await queueInvitation(w.store, outbox, found, request({ index: 1 }));
    const second = await queueInvitation(w.store, outbox, found, request({ index: 2 }));
    assert.ok('ok' in first && 'ok' in second);
    assert.equal((await w.store.outboxItem(first.id))?.recipient, a.plain.handle);
    assert.equal((await w.store.outboxItem(second.id))?.recipient, 'q@home.example');
  });

  test('9.19: an index with no entry in the last FND result → 201, nothing queued', async () => {
    const a = await w.accounts({ p: 'P' });
    for (const index of [0, 2]) {
      assert.deepEqual(await queueInvitation(w.store, outbox, [hit(a.p)], request({ index })), { error: ErrorCode.INVALID_PARAMETER });
    }
    assert.deepEqual(await queueInvitation(w.store, outbox, [], request({ index: 1 })), { error: ErrorCode.INVALID_PARAMETER });
  });

  test('9.19: the personal note is quoted in the mail; without one there is no quote', () => {
    const withNote = invitationMail(request({ address: 'z@example.net' }, 'Hi Zed,\r\ncome over'));
    assert.equal(withNote.subject, 'Alice (alice@example.com) invites you to MSN Messenger');
    assert.match(withNote.body, /Alice wrote:\n\n {2}Hi Zed,\n {2}come over\n/);
    assert.match(withNote.body, /http:\/\/msnd\.example\/signup/);
    assert.doesNotMatch(invitationMail(request({ address: 'z@example.net' })).body, /wrote:/);
  });
});
