import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SecretKeyError, decryptSecret, encryptSecret, loadSecretKey } from '../../src/store/secrets.ts';

const root = await mkdtemp(join(tmpdir(), 'msnd-secrets-'));
after(() => rm(root, { recursive: true, force: true }));

let dirs = 0;
function freshDir(): string {
  dirs += 1;
  return join(root, `dir-${dirs}`, 'data');
}

const NO_ENV = {};
const posixOnly = process.platform === 'win32' ? 'file modes are POSIX-only' : false;

describe('loadSecretKey', () => {
  test('creates <dataDir>/secret.key (and the directory) with mode 0600, then reuses it', { skip: posixOnly }, () => {
    const dataDir = freshDir();
    const key = loadSecretKey({ dataDir, env: NO_ENV });
    assert.equal(key.length, 32);
    const file = join(dataDir, 'secret.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    assert.deepEqual(loadSecretKey({ dataDir, env: NO_ENV }), key);
  });

  test('refuses a key file that group or others can read', { skip: posixOnly }, () => {
    const dataDir = freshDir();
    loadSecretKey({ dataDir, env: NO_ENV });
    const file = join(dataDir, 'secret.key');
    chmodSync(file, 0o644);
    assert.throws(
      () => loadSecretKey({ dataDir, env: NO_ENV }),
      (err: unknown) => err instanceof SecretKeyError && /mode 0644/.test(err.message) && err.message.includes(file),
    );
  });

  test('refuses a key file that is not 64 hex characters, without echoing it', () => {
    const dataDir = freshDir();
    loadSecretKey({ dataDir, env: NO_ENV });
    writeFileSync(join(dataDir, 'secret.key'), 'not-a-key-at-all\n', { mode: 0o600 });
    assert.throws(
      () => loadSecretKey({ dataDir, env: NO_ENV }),
      (err: unknown) => err instanceof SecretKeyError && !err.message.includes('not-a-key-at-all'),
    );
  });

  test('MSND_SECRET_KEY wins over the file: 64 hex characters or base64 of 32 bytes', () => {
    const dataDir = freshDir();
    const bytes = randomBytes(32);
    assert.deepEqual(loadSecretKey({ dataDir, env: { MSND_SECRET_KEY: bytes.toString('hex') } }), bytes);
    assert.deepEqual(loadSecretKey({ dataDir, env: { MSND_SECRET_KEY: bytes.toString('hex').toUpperCase() } }), bytes);
    assert.deepEqual(loadSecretKey({ env: { MSND_SECRET_KEY: `${bytes.toString('base64')}\n` } }), bytes);
    assert.throws(() => statSync(join(dataDir, 'secret.key')), /ENOENT/);
  });

  test('a malformed MSND_SECRET_KEY is a clear error that does not echo the value', () => {
    const bad = [
      '',
      'abc',
      'zz'.repeat(32),
      'ab'.repeat(31),
      'ab'.repeat(33),
      randomBytes(16).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(32).toString('base64url'),
    ];
    for (const value of bad) {
      assert.throws(
        () => loadSecretKey({ dataDir: freshDir(), env: { MSND_SECRET_KEY: value } }),
        (err: unknown) =>
          err instanceof SecretKeyError &&
          err.message.includes('MSND_SECRET_KEY must be 64 hexadecimal characters or the base64 encoding of exactly 32 bytes') &&
          (value.length < 4 || !err.message.includes(value)),
        `value ${JSON.stringify(value)}`,
      );
    }
  });

  test('without the variable or a data directory there is no key', () => {
    assert.throws(() => loadSecretKey({ env: NO_ENV }), SecretKeyError);
  });
});

describe('encryptSecret / decryptSecret', () => {
  const key = randomBytes(32);

  test('round-trips, with a fresh IV every time', () => {
    for (const secret of ['', 'secret123', 'pässwörd ✓ 🔑', 'x'.repeat(1000)]) {
      const first = encryptSecret(key, secret, 'a@example.com');
      const second = encryptSecret(key, secret, 'a@example.com');
      assert.notEqual(first, second);
      assert.equal(decryptSecret(key, first, 'a@example.com'), secret);
      assert.equal(decryptSecret(key, second, 'a@example.com'), secret);
    }
  });

  test('any changed byte of the stored value is refused', () => {
    const stored = Buffer.from(encryptSecret(key, 'secret123'), 'base64');
    for (let i = 0; i < stored.length; i++) {
      const tampered = Buffer.from(stored);
      tampered[i]! ^= 0x01;
      assert.throws(() => decryptSecret(key, tampered.toString('base64')), /failed authentication/, `byte ${i}`);
    }
  });

  test('another key, other associated data or a truncated value is refused', () => {
    const stored = encryptSecret(key, 'secret123', 'a@example.com');
    assert.throws(() => decryptSecret(randomBytes(32), stored, 'a@example.com'), /failed authentication/);
    assert.throws(() => decryptSecret(key, stored, 'b@example.com'), /failed authentication/);
    assert.throws(() => decryptSecret(key, stored.slice(0, 20), 'a@example.com'), /malformed/);
  });

  test('a key of the wrong length is refused', () => {
    assert.throws(() => encryptSecret(randomBytes(16), 'x'), SecretKeyError);
  });
});
