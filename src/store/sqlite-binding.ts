// better-sqlite3's native module is built for one Node.js ABI: `npm ci` compiles or downloads it
// for the Node that ran it. Run by another Node, the first open of a store failed after the data
// directory was made, with a message about the directory. The check comes first, and says what to do.
import BetterSqlite3 from 'better-sqlite3';

/** better-sqlite3 cannot be loaded by this Node.js. */
export class SqliteBindingError extends Error {
  constructor(cause: Error) {
    super(
      `SQLite (better-sqlite3) was installed for another Node.js than this one (${process.version}): ` +
        'run `npm rebuild better-sqlite3` (or `npm ci`) with this Node, or run msnd with the Node that installed it',
      { cause },
    );
    this.name = 'SqliteBindingError';
  }
}

let loaded = false;

/** Throws SqliteBindingError unless better-sqlite3's native module loads here (checked once). */
export function assertSqliteLoads(load: () => void = openInMemory): void {
  if (loaded) return;
  try {
    load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_DLOPEN_FAILED') throw new SqliteBindingError(err as Error);
    throw err;
  }
  loaded = true;
}

function openInMemory(): void {
  new BetterSqlite3(':memory:').close();
}
