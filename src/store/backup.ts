// `msnd backup`: SQLite's online backup of a store that may be in use by a running server.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SQLITE_FILE } from './sqlite.ts';
import { assertSqliteLoads } from './sqlite-binding.ts';

export interface BackupResult {
  source: string;
  copy: string;
  pages: number;
}

/**
 * Copies `<dataDir>/msnd.sqlite` to `<outDir>/msnd.sqlite` with SQLite's backup API. The pages are
 * copied in one step, so the copy is one snapshot: it holds every transaction committed before the
 * backup began. In WAL mode that read never blocks the server's writers. The copy is written under a
 * temporary name and renamed when complete; an existing copy is not overwritten.
 */
export async function backupSqlite(dataDir: string, outDir: string): Promise<BackupResult> {
  const source = join(dataDir, SQLITE_FILE);
  if (!existsSync(source)) throw new Error(`no msnd data in ${dataDir} (no ${SQLITE_FILE})`);
  const copy = join(outDir, SQLITE_FILE);
  if (existsSync(copy)) throw new Error(`${copy} already exists: give a new directory`);
  assertSqliteLoads();
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const partial = `${copy}.partial-${process.pid}`;
  const db = new BetterSqlite3(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // Returning the total asks for every remaining page in the next step: one snapshot, no restarts.
    const { totalPages } = await db.backup(partial, { progress: ({ totalPages: total }) => Math.max(total, 1) });
    renameSync(partial, copy);
    return { source, copy, pages: totalPages };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
}
