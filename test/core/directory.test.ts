// The member directory (MSNP5.md 9.17): findMembers on a real store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { directoryKey, findMembers } from '../../src/core/directory.ts';
import type { DirectoryEntry } from '../../src/core/store.ts';
import type { Account } from '../../src/core/types.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { World } from './world.ts';

let w: World;
before(async () => {
  w = await World.open();
});
after(() => w.close());

let surname = 0;

/** A surname no other test uses, so that each test searches only its own entries. */
function freshSurname(): string {
  return `Zed${++surname}`;
}

async function listed(account: Account, fields: Partial<DirectoryEntry> & { lastName: string }): Promise<void> {
  await w.store.setDirectoryEntry(account.id, { listed: true, firstName: 'Ann', city: 'Oslo', state: '', country: 'NO', ...fields });
}

const anyPlace = { city: '*', state: '*', country: '*' };

describe('FND (MSNP5.md 9.17)', () => {
  test('9.17: first and last name must be given → 201 for * or blank', async () => {
    for (const [firstName, lastName] of [
      ['*', 'Smith'],
      ['Ann', '*'],
      ['', 'Smith'],
      ['Ann', '  '],
    ]) {
      assert.deepEqual(
        await findMembers(w.store, { firstName: firstName!, lastName: lastName!, ...anyPlace }),
        { error: ErrorCode.INVALID_PARAMETER },
        `${firstName}/${lastName}`,
      );
    }
  });

  test('9.17: matches listed entries case-insensitively; * leaves city, state, country open', async () => {
    const last = freshSurname();
    const a = await w.accounts({ oslo: 'A', bergen: 'B', hidden: 'H' });
    await listed(a.oslo, { lastName: last });
    await listed(a.bergen, { lastName: last, city: 'Bergen' });
    await w.store.setDirectoryEntry(a.hidden.id, {
      listed: false,
      firstName: 'Ann',
      lastName: last,
      city: 'Oslo',
      state: '',
      country: 'NO',
    });
    const all = await findMembers(w.store, { firstName: 'ANN', lastName: last.toLowerCase(), ...anyPlace });
    assert.ok('ok' in all);
    assert.deepEqual(
      all.hits.map((h) => h.accountId),
      [a.oslo.id, a.bergen.id],
    );
    const oslo = await findMembers(w.store, { firstName: 'Ann', lastName: last, ...anyPlace, city: 'oslo' });
    assert.ok('ok' in oslo);
    assert.deepEqual(oslo.hits, [{ accountId: a.oslo.id, firstName: 'Ann', lastName: last, city: 'Oslo', state: '', country: 'NO' }]);
  });

  test('9.17, 14: more matches than the limit → 301; exactly the limit is fine', async () => {
    const last = freshSurname();
    const a = await w.accounts({ one: '1', two: '2', three: '3' });
    for (const account of Object.values(a)) await listed(account, { lastName: last });
    const query = { firstName: 'Ann', lastName: last, ...anyPlace };
    assert.deepEqual(await findMembers(w.store, query, 2), { error: ErrorCode.TOO_MANY_RESULTS });
    const three = await findMembers(w.store, query, 3);
    assert.ok('ok' in three);
    assert.equal(three.hits.length, 3);
  });

  test('9.17: no match is an empty result, not an error', async () => {
    assert.deepEqual(await findMembers(w.store, { firstName: 'Ann', lastName: freshSurname(), ...anyPlace }), { ok: true, hits: [] });
  });

  test('9.17: the search key is NFC, trimmed, lower-case', () => {
    assert.equal(directoryKey('  ÅSE '), 'åse');
    assert.equal(directoryKey('A\u030aSE'), 'åse');
  });
});
