/**
 * SYN and LST on PostgreSQL, where the snapshot is one statement (Store.listsAtOnce), against the
 * same story on SQLite, where it is several reads: the dumps must be the same, line for line
 * (MSNP5.md 9.4, 9.5; BPR as each contact lets the owner see it, D-10; LSG in MSNP7). Runs when
 * MSND_TEST_POSTGRES_URL is set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryBus } from '../../src/bus/memory.ts';
import { MsnClient } from '../../src/client/client.ts';
import { canonicalEncode } from '../../src/protocol/names.ts';
import { parseServerConfig } from '../../src/server/config.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { startMsnd } from '../../src/server/msnd.ts';
import { openStore } from '../../src/store/open.ts';
import { startPostgresMsnd } from '../helpers/postgres-msnd.ts';

const url = process.env.MSND_TEST_POSTGRES_URL;
const NAMES = ['alice', 'bob', 'carol', 'dave'] as const;

if (url === undefined || url === '') {
  test('SYN on PostgreSQL', { skip: 'MSND_TEST_POSTGRES_URL is not set: PostgreSQL SYN tests skipped' }, () => {});
} else {
  test('SYN and LST on PostgreSQL give the dumps SQLite gives, in MSNP5 (BPR) and MSNP7 (groups)', async () => {
    const running = await startPostgresMsnd({ url, names: NAMES });
    try {
      const onPostgres = await story(running.msnd.ports.ns);
      const onSqlite = await withSqliteMsnd(story);
      assert.deepEqual(onPostgres, onSqlite);
      assert.ok(onPostgres.msnp5.some((line) => line.startsWith('BPR ')) && onPostgres.msnp7.some((line) => line.startsWith('LSG ')));
    } finally {
      await running.stop();
    }
  });
}

const login = (port: number, name: string, dialects?: string[]) =>
  MsnClient.login({
    host: '127.0.0.1',
    port,
    viaDispatch: false,
    handle: `${name}@example.com`,
    password: `${name}pass`,
    timeoutMs: 15_000,
    ...(dialects && { dialects }),
  });

/**
 * bob and carol with phones, bob allowing alice (AL) and carol blocking her (BL) so that carol's
 * numbers are hidden from her; alice with the three on her lists and a group of her own. Returns
 * alice's dumps, the lines' TrIDs as the client numbered them on each side (the same sequence).
 */
async function story(nsPort: number): Promise<{ msnp5: string[]; msnp7: string[]; lst: string[] }> {
  const [alice, bob, carol, dave] = await Promise.all(NAMES.map((name) => login(nsPort, name)));
  try {
    await bob!.conn.request('PRP', 'PHH', '1%20(555)%200142');
    await bob!.conn.request('PRP', 'MOB', 'Y');
    await bob!.add('AL', 'alice@example.com');
    await bob!.add('FL', 'alice@example.com', 'Alice');
    await carol!.conn.request('PRP', 'PHM', '1%20(555)%200199');
    await carol!.add('BL', 'alice@example.com');
    for (const name of ['bob', 'carol', 'dave']) await alice!.add('FL', `${name}@example.com`, canonicalEncode(`${name} ü`));
    await alice!.add('AL', 'bob@example.com');
    await alice!.add('BL', 'dave@example.com');
    await alice!.conn.request('REA', 'alice@example.com', 'Alice%20%22A%22');
  } finally {
    for (const client of [alice, bob, carol, dave]) client!.close();
  }
  // One session at a time: a second sign-in of alice would end the first (OUT OTH).
  const msnp5 = await login(nsPort, 'alice');
  let dumps: { msnp5: string[]; lst: string[] };
  try {
    dumps = { msnp5: (await msnp5.sync(0)).lines.map((line) => line.line), lst: [(await msnp5.conn.request('LST', 'RL')).line] };
  } finally {
    msnp5.close();
  }
  const seven = await login(nsPort, 'alice', ['MSNP7']);
  try {
    await seven.addGroup('Friends%20%26%20more');
    return { ...dumps, msnp7: (await seven.sync(0)).lines.map((line) => line.line) };
  } finally {
    seven.close();
  }
}

async function withSqliteMsnd<T>(fn: (nsPort: number) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'msnd-sqlite-'));
  const store = await openStore({ dataDir, secretKey: randomBytes(32) });
  for (const name of NAMES) {
    await store.createAccount({
      handle: `${name}@example.com`,
      friendlyName: canonicalEncode(name),
      secret: `${name}pass`,
      verified: true,
    });
  }
  const config = parseServerConfig({ host: '127.0.0.1', dsPort: 0, nsPort: 0, sbPort: 0, httpPort: 0, dataDir });
  const msnd = await startMsnd({ config, store, bus: new MemoryBus(), log: silentLogger(), webKey: randomBytes(32) });
  try {
    return await fn(msnd.ports.ns);
  } finally {
    await msnd.stop();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
