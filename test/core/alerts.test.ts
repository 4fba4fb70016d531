// NOT alerts (MSNP5.md 9.21, 12.7): what sendAlert accepts, one delivery per recipient, expiry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AlertRecipient, AlertError, alertDocument, deliverPendingAlerts, oldestLiveAlert, sendAlert } from '../../src/core/alerts.ts';
import type { Account } from '../../src/core/types.ts';
import { World } from './world.ts';

let w: World;
before(async () => {
  w = await World.open();
});
after(() => w.close());

/** A signed-in recipient that keeps the documents it was given. */
function recipient(account: Account): AlertRecipient & { documents: string[] } {
  const documents: string[] = [];
  return { accountId: account.id, handle: account.handle, documents, deliver: (d) => void documents.push(d) };
}

describe('sendAlert (MSNP5.md 9.21, 12.7)', () => {
  const refused: [string, Parameters<typeof sendAlert>[1], RegExp][] = [
    ['empty text', { to: ['a@example.com'], text: '  ' }, /empty/],
    ['control characters', { to: ['a@example.com'], text: 'bell\x07' }, /control/],
    ['a BODY over 1024 bytes (12.7)', { to: ['a@example.com'], text: 'x'.repeat(1000) }, /too long/],
    ['a non-http URL', { to: ['a@example.com'], text: 'hi', url: 'javascript:alert(1)' }, /not an http/],
    ['a relative URL', { to: ['a@example.com'], text: 'hi', url: '/news' }, /not an http/],
    ['no recipient', { to: [], text: 'hi' }, /no recipient/],
    ['an invalid handle', { to: ['not a handle'], text: 'hi' }, /not a valid handle/],
    ['an unknown recipient', { to: ['nobody-at-all@example.com'], text: 'hi' }, /nobody-at-all/],
  ];
  for (const [what, request, message] of refused) {
    test(`12.7: refuses ${what}`, async () => {
      await assert.rejects(sendAlert(w.store, request), (e) => e instanceof AlertError && message.test(e.message));
    });
  }

  test('12.7: the longest text whose BODY fits is accepted; a handle is matched case-insensitively', async () => {
    const a = await w.accounts({ u: 'U' });
    const fits = 'x'.repeat(1024 - '<BODY lang="1033"><TEXT></TEXT></BODY>'.length);
    assert.deepEqual((await sendAlert(w.store, { to: [a.u.handle.toUpperCase()], text: fits })).recipients, 1);
  });
});

describe('delivery (MSNP5.md 9.21)', () => {
  test('9.21: each recipient gets the alert once, however often or by however many deliverers it is asked', async () => {
    const a = await w.accounts({ u: 'U', v: 'V' });
    await sendAlert(w.store, { to: [a.u.handle, a.v.handle], text: 'Maintenance at noon', url: 'https://example.com/news?id=1' });
    const u1 = recipient(a.u);
    const u2 = recipient(a.u);
    const delivered = await Promise.all([
      deliverPendingAlerts(w.store, [u1], 'http://msnd/'),
      deliverPendingAlerts(w.store, [u2], 'http://msnd/'),
    ]);
    assert.deepEqual(delivered.sort(), [0, 1]);
    assert.equal(u1.documents.length + u2.documents.length, 1);
    assert.equal(await deliverPendingAlerts(w.store, [recipient(a.u)], 'http://msnd/'), 0);
    const v = recipient(a.v);
    assert.equal(await deliverPendingAlerts(w.store, [v], 'http://msnd/'), 1, 'the other recipient still has its copy');
  });

  test('9.21: alerts created before notBefore are left (for expiry), not delivered', async () => {
    const a = await w.accounts({ u: 'U' });
    await sendAlert(w.store, { to: [a.u.handle], text: 'old news' });
    const u = recipient(a.u);
    assert.equal(await deliverPendingAlerts(w.store, [u], 'http://msnd/', Math.floor(Date.now() / 1000) + 3600), 0);
    assert.equal(await deliverPendingAlerts(w.store, [u], 'http://msnd/'), 1);
  });

  test('12.7: the document names the recipient, splits the URL into siteurl and ACTION, escapes the text', () => {
    const alert = { id: 7, text: 'Tom & Jerry <3', url: 'https://news.example.com/a/b?c=d#e', createdAt: 0 };
    const doc = alertDocument(alert, { accountId: 2 ** 32 + 5, handle: 'u@example.com' }, 'http://msnd/');
    assert.match(doc, /^<NOTIFICATION ver="1" id="7" siteid="0" siteurl="https:\/\/news\.example\.com\/">/);
    assert.match(doc, /<TO pid="0x00000001:0x00000005" name="u@example\.com"\/>/);
    assert.match(doc, /<ACTION url="a\/b\?c=d#e"\/>/);
    assert.match(doc, /<TEXT>Tom &amp; Jerry &lt;3<\/TEXT>/);
    const plain = alertDocument({ ...alert, url: '' }, { accountId: 1, handle: 'u@example.com' }, 'http://msnd/');
    assert.match(plain, /siteurl="http:\/\/msnd\/".*<ACTION url=""\/>/);
  });

  test('an alert lives lifetimeMs: the oldest live creation second', () => {
    assert.equal(oldestLiveAlert(10_000_500, 1000), 9999);
  });
});
