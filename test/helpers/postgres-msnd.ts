// msnd on a PostgreSQL store of its own: a fresh schema, accounts <name>@example.com with password
// <name>pass, the in-process bus; for the tests that need MSND_TEST_POSTGRES_URL.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MemoryBus } from '../../src/bus/memory.ts';
import { MsnClient } from '../../src/client/client.ts';
import type { Store } from '../../src/core/store.ts';
import { canonicalEncode } from '../../src/protocol/names.ts';
import { parseServerConfig } from '../../src/server/config.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { startMsnd, type RunningMsnd } from '../../src/server/msnd.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';

export interface PostgresMsnd {
  schema: string;
  store: Store;
  msnd: RunningMsnd;
  /** A connection of the test's own to the database (not through `storeUrl`). */
  admin: pg.Client;
  /** Signs `name` in straight at the NS and syncs its lists; closed at stop. */
  signIn(name: string): Promise<MsnClient>;
  /** Stops msnd and drops the schema. */
  stop(): Promise<void>;
}

/** Signs `name` (<name>@example.com, password <name>pass) in straight at the NS on `nsPort` and syncs its lists. */
export async function signInAt(nsPort: number, name: string): Promise<MsnClient> {
  const client = await MsnClient.login({
    host: '127.0.0.1',
    port: nsPort,
    viaDispatch: false,
    handle: `${name}@example.com`,
    password: `${name}pass`,
    timeoutMs: 15_000,
  });
  await client.sync(0);
  return client;
}

/** `storeUrl`: where msnd reaches the database (a proxy in front of `url`, say); `url` by default. */
export async function startPostgresMsnd(opts: { url: string; storeUrl?: string; names: readonly string[] }): Promise<PostgresMsnd> {
  const schema = `msnd_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: opts.url });
  await admin.connect();
  const store = await openPostgresStore({ url: opts.storeUrl ?? opts.url, secretKey: randomBytes(32), schema });
  for (const name of opts.names) {
    await store.createAccount({
      handle: `${name}@example.com`,
      friendlyName: canonicalEncode(name),
      secret: `${name}pass`,
      verified: true,
    });
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'msnd-pg-'));
  const config = parseServerConfig({ host: '127.0.0.1', dsPort: 0, nsPort: 0, sbPort: 0, httpPort: 0, dataDir });
  const msnd = await startMsnd({ config, store, bus: new MemoryBus(), log: silentLogger(), webKey: randomBytes(32) });
  const clients: MsnClient[] = [];
  return {
    schema,
    store,
    msnd,
    admin,
    async signIn(name) {
      const client = await signInAt(msnd.ports.ns, name);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.close();
      await msnd.stop();
      await store.close();
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
