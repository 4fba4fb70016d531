// Login (MSNP5.md 6.2, 6.4, D-5): authenticate against a real store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authenticate, type LoginPolicy } from '../../src/core/accounts.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { md5Response } from '../../src/protocol/md5.ts';
import { PASSWORD, World } from './world.ts';

const CHALLENGE = '1700000000.123456789';
const RIGHT = md5Response(CHALLENGE, PASSWORD);
const open: LoginPolicy = { requireVerified: false };
const strict: LoginPolicy = { requireVerified: true };

let w: World;
before(async () => {
  w = await World.open();
});
after(() => w.close());

describe('authenticate (MSNP5.md 6.4)', () => {
  test('6.2: the right MD5 response signs in, with the stored account; upper-case hex too', async () => {
    const a = await w.accounts({ u: 'U' });
    const lower = await authenticate(w.store, a.u.handle, CHALLENGE, RIGHT, open);
    assert.ok('ok' in lower);
    assert.deepEqual(lower.account, a.u);
    assert.ok('ok' in (await authenticate(w.store, a.u.handle, CHALLENGE, RIGHT.toUpperCase(), open)));
  });

  test('6.4, D-5: unknown account and wrong password get the same 911', async () => {
    const a = await w.accounts({ u: 'U' });
    const unknown = await authenticate(w.store, 'nobody-at-all@example.com', CHALLENGE, RIGHT, open);
    const wrong = await authenticate(w.store, a.u.handle, CHALLENGE, md5Response(CHALLENGE, 'wrong'), open);
    const otherChallenge = await authenticate(w.store, a.u.handle, '1700000000.000000000', RIGHT, open);
    const notHex = await authenticate(w.store, a.u.handle, CHALLENGE, 'z'.repeat(32), open);
    const expected = { error: ErrorCode.AUTHENTICATION_FAILED };
    assert.deepEqual([unknown, wrong, otherChallenge, notHex], [expected, expected, expected, expected]);
  });

  test('6.4: a kids account → 923, but only with the right password (a wrong one is 911)', async () => {
    const a = await w.accounts({ kid: 'Kid' }, { kid: { kid: true } });
    assert.deepEqual(await authenticate(w.store, a.kid.handle, CHALLENGE, RIGHT, open), { error: ErrorCode.KIDS_WITHOUT_CONSENT });
    assert.deepEqual(await authenticate(w.store, a.kid.handle, CHALLENGE, md5Response(CHALLENGE, 'wrong'), open), {
      error: ErrorCode.AUTHENTICATION_FAILED,
    });
  });

  test('6.4: an unverified account → 924 when verification is required and not soft', async () => {
    const a = await w.accounts({ u: 'U' }, { u: { verified: false } });
    assert.deepEqual(await authenticate(w.store, a.u.handle, CHALLENGE, RIGHT, strict), { error: ErrorCode.NOT_VERIFIED });
  });

  test('6.4: an unverified account signs in when verification is soft (MSNP6+) or not required', async () => {
    const a = await w.accounts({ u: 'U' }, { u: { verified: false } });
    const soft = await authenticate(w.store, a.u.handle, CHALLENGE, RIGHT, strict, true);
    assert.ok('ok' in soft);
    assert.equal(soft.account.verified, false);
    assert.ok('ok' in (await authenticate(w.store, a.u.handle, CHALLENGE, RIGHT, open)));
  });

  test('6.4: a verified account is never 924', async () => {
    const a = await w.accounts({ u: 'U' });
    assert.ok('ok' in (await authenticate(w.store, a.u.handle, CHALLENGE, RIGHT, strict)));
  });

  test('6.4: an unverified kids account is 923 first, soft or not', async () => {
    const a = await w.accounts({ u: 'U' }, { u: { kid: true, verified: false } });
    assert.deepEqual(await authenticate(w.store, a.u.handle, CHALLENGE, RIGHT, strict), { error: ErrorCode.KIDS_WITHOUT_CONSENT });
    assert.deepEqual(await authenticate(w.store, a.u.handle, CHALLENGE, RIGHT, strict, true), { error: ErrorCode.KIDS_WITHOUT_CONSENT });
  });

  test('6.4: a changed password takes effect at the next login', async () => {
    const a = await w.accounts({ u: 'U' });
    await w.store.setSecret(a.u.handle, 'n3w-pass');
    assert.deepEqual(await authenticate(w.store, a.u.handle, CHALLENGE, RIGHT, open), { error: ErrorCode.AUTHENTICATION_FAILED });
    assert.ok('ok' in (await authenticate(w.store, a.u.handle, CHALLENGE, md5Response(CHALLENGE, 'n3w-pass'), open)));
  });
});
