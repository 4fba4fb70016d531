// The check that better-sqlite3's native module loads before a store is touched (sqlite-binding.ts).
// Its failure is played by a loader that throws what Node throws for a module built for another ABI;
// a real Node of another version against this install was checked by hand (the closing note of the change).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertSqliteLoads, SqliteBindingError } from '../../src/store/sqlite-binding.ts';

const dlopenFailure = (): never => {
  throw Object.assign(new Error('The module was compiled against a different Node.js version using NODE_MODULE_VERSION 115'), {
    code: 'ERR_DLOPEN_FAILED',
  });
};

test('a native module built for another Node says so, and what to do, instead of blaming the data directory', () => {
  assert.throws(
    () => assertSqliteLoads(dlopenFailure),
    (err: unknown) => {
      assert.ok(err instanceof SqliteBindingError);
      assert.match(err.message, new RegExp(`another Node\\.js than this one \\(${process.version.replaceAll('.', '\\.')}\\)`));
      assert.match(err.message, /npm rebuild better-sqlite3/);
      assert.match(String((err.cause as Error).message), /NODE_MODULE_VERSION/);
      return true;
    },
  );
});

test('another failure of the loader is not dressed up as that one; a load that works is remembered', () => {
  assert.throws(
    () =>
      assertSqliteLoads(() => {
        throw new Error('disk on fire');
      }),
    /disk on fire/,
  );
  let loads = 0;
  assertSqliteLoads(() => void loads++);
  assertSqliteLoads(() => void loads++);
  assertSqliteLoads(dlopenFailure);
  assert.equal(loads, 1);
});
