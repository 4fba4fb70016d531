// One `msnd serve` per store unless clustered (--bus): a second server on the same store would split
// the network (each half sees the other's users offline). The lock dies with its process.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { DataDirError, makeDataDir } from './data-dir.ts';
import { assertSqliteLoads } from './sqlite-binding.ts';

/** What a running server says about itself, for the message that refuses a second one. */
export interface ServerInfo {
  pid: number;
  host: string;
  /** "Dispatch Server 127.0.0.1:1863, …", once it listens. */
  listening?: string;
}

export interface ServeLock {
  /** Records where the holder listens, for the message a second server gets. */
  describe(listening: string): Promise<void>;
  release(): Promise<void>;
}

/** Another server holds the store; the message names it and says how to run several. */
export class StoreLockedError extends Error {
  constructor(
    readonly store: string,
    readonly holder: ServerInfo | undefined,
  ) {
    const who =
      holder === undefined
        ? 'another msnd serve'
        : `another msnd serve (pid ${holder.pid} on ${holder.host}${holder.listening ? `; ${holder.listening}` : ', starting'})`;
    super(
      `${who} is already running on ${store}; a second one would split the network. ` +
        'Stop it first, or run several servers on one store as a cluster: start each with --bus redis://HOST:6379',
    );
    this.name = 'StoreLockedError';
  }
}

export const LOCK_FILE = 'msnd.lock';
export const LOCK_INFO_FILE = 'msnd.pid';

/**
 * SQLite: an exclusive SQLite lock (an OS file lock, fcntl) on `<dataDir>/msnd.lock`, held on a
 * connection of its own while the process lives; `<dataDir>/msnd.pid` says who holds it.
 */
export function lockSqliteStore(dataDir: string): ServeLock {
  assertSqliteLoads();
  makeDataDir(dataDir);
  const infoFile = join(dataDir, LOCK_INFO_FILE);
  let lock: BetterSqlite3.Database;
  try {
    lock = new BetterSqlite3(join(dataDir, LOCK_FILE), { timeout: 0 });
  } catch (err) {
    throw new DataDirError(`cannot use the data directory ${dataDir}: ${(err as Error).message}`);
  }
  try {
    lock.pragma('journal_mode = DELETE');
    lock.exec('begin exclusive');
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new StoreLockedError(`the data directory ${dataDir}`, readInfo(infoFile));
  }
  const info: ServerInfo = { pid: process.pid, host: hostname() };
  const write = (): void => {
    const temporary = `${infoFile}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(info)}\n`, { mode: 0o600 });
    renameSync(temporary, infoFile);
  };
  write();
  return {
    describe: async (listening) => {
      info.listening = listening;
      write();
    },
    release: async () => {
      if (!lock.open) return;
      // Removed while the lock is still held, so that it cannot be the next holder's file.
      if (readInfo(infoFile)?.pid === process.pid) rmSync(infoFile, { force: true });
      lock.close();
    },
  };
}

function readInfo(file: string): ServerInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** First key of the advisory lock: "MSND"; the second is a hash of the schema the store is in. */
const ADVISORY_KEY = 0x4d534e44;
const INFO_META = 'serve_lock';

/**
 * PostgreSQL: a session advisory lock, held on a connection of its own (the server releases it when
 * the connection ends, also when the process is killed); msnd_meta.serve_lock says who holds it.
 */
export async function lockPostgresStore(opts: { url: string; schema?: string; onLost?: (err: Error) => void }): Promise<ServeLock> {
  const client = new pg.Client({
    connectionString: opts.url,
    options: opts.schema === undefined ? undefined : `-c search_path=${opts.schema}`,
    connectionTimeoutMillis: 10_000,
  });
  let releasing = false;
  client.on('error', (err) => {
    if (!releasing) opts.onLost?.(err);
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      "select pg_try_advisory_lock($1, hashtext(coalesce(current_schema(), ''))) as locked",
      [ADVISORY_KEY],
    );
    if (rows[0]?.locked !== true) {
      const found = await client
        .query<{ value: string }>('select value from msnd_meta where key = $1', [INFO_META])
        .catch(() => ({ rows: [] }));
      const value = found.rows[0]?.value;
      throw new StoreLockedError('this PostgreSQL store', value === undefined ? undefined : parseInfo(value));
    }
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  const info: ServerInfo = { pid: process.pid, host: hostname() };
  const write = async (): Promise<void> => {
    await client.query('insert into msnd_meta (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value', [
      INFO_META,
      JSON.stringify(info),
    ]);
  };
  await write();
  return {
    describe: async (listening) => {
      info.listening = listening;
      await write();
    },
    release: async () => {
      releasing = true;
      await client.end().catch(() => {});
    },
  };
}

function parseInfo(value: string): ServerInfo | undefined {
  try {
    const info = JSON.parse(value) as ServerInfo;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}
