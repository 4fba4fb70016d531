import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { SQLITE_FILE, openSqliteStore } from '../../src/store/sqlite.ts';

const root = await mkdtemp(join(tmpdir(), 'msnd-lists-clock-'));
after(() => rm(root, { recursive: true, force: true }));

const secretKey = randomBytes(32);
let opened = 0;

/** msnd's store on a new SQLite file, an account in it, and a second connection standing for the CLI. */
async function storeAndCli() {
  opened += 1;
  const dataDir = join(root, `data-${opened}`);
  const store = await openSqliteStore({ dataDir, secretKey });
  const account = await store.createAccount({ handle: 'a@example.com', friendlyName: 'a', secret: 's', verified: true });
  const cli = new BetterSqlite3(join(dataDir, SQLITE_FILE));
  cli.pragma('busy_timeout = 5000');
  const setListVersion = (version: number) => cli.prepare('update accounts set list_version = ? where id = ?').run(version, account.id);
  return {
    store,
    account,
    setListVersion,
    close: async () => {
      cli.close();
      await store.close();
    },
  };
}

/** Counts the runs of `pragma data_version` on every better-sqlite3 connection while it is installed. */
function countDataVersionRuns(): { runs(): number; restore(): void } {
  const probe = new BetterSqlite3(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as { get: (...args: unknown[]) => unknown };
  probe.close();
  const original = statementProto.get;
  let runs = 0;
  statementProto.get = function (this: { source: string }, ...args: unknown[]) {
    if (this.source === 'pragma data_version') runs++;
    return original.apply(this, args);
  };
  return { runs: () => runs, restore: () => (statementProto.get = original) };
}

describe('SQLite lists clock: data_version read once per turn of the event loop', () => {
  test("another connection's commit between two turns moves listsVersion()", async () => {
    const { store, setListVersion, close } = await storeAndCli();
    try {
      const first = store.listsVersion();
      await nextTurn();
      setListVersion(5);
      assert.notEqual(store.listsVersion(), first);
      // Nothing committed since: the same version, in this turn and the next.
      const second = store.listsVersion();
      await nextTurn();
      assert.equal(store.listsVersion(), second);
    } finally {
      await close();
    }
  });

  test('within one turn data_version is read once, however often listsVersion() is asked', async () => {
    const { store, close } = await storeAndCli();
    const counter = countDataVersionRuns();
    try {
      await nextTurn();
      const before = counter.runs();
      const versions = [store.listsVersion(), store.listsVersion(), store.listsVersion()];
      assert.equal(counter.runs() - before, 1);
      assert.deepEqual(versions, [versions[0], versions[0], versions[0]]);
      await nextTurn();
      store.listsVersion();
      assert.equal(counter.runs() - before, 2);
    } finally {
      counter.restore();
      await close();
    }
  });

  test('a snapshot still reads again when another connection commits between its reads, in the turn that read data_version', async () => {
    const { store, account, setListVersion, close } = await storeAndCli();
    try {
      await nextTurn();
      // data_version read in this turn: the snapshot's reading before its reads reuses it.
      store.listsVersion();
      const seen: number[] = [];
      const version = await store.snapshot(async (tx) => {
        const first = (await tx.accountById(account.id))!.listVersion;
        if (seen.length === 0) setListVersion(9);
        const second = (await tx.accountById(account.id))!.listVersion;
        seen.push(first, second);
        return second;
      });
      assert.deepEqual(seen, [account.listVersion, 9, 9, 9]);
      assert.equal(version, 9);
    } finally {
      await close();
    }
  });
});
