// `msnd backup`, `msnd export` and `msnd import`: copying and moving a store.
import { once } from 'node:events';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { backupSqlite } from '../store/backup.ts';
import { loadSecretKey, openStoreDatabase } from '../store/open.ts';
import { SECRET_KEY_ENV, SECRET_KEY_FILE } from '../store/secrets.ts';
import { exportStore, ImportError, importStore } from '../store/transfer.ts';
import { dataOption, storeOption } from './options.ts';

interface StoreOptions {
  data: string;
  store?: string;
}

export function backupCommand(): Command {
  return new Command('backup')
    .description('copy a SQLite store, even while msnd serve runs on it (SQLite online backup); OUT is a new directory')
    .argument('<out>', 'directory to write the copy to (OUT/msnd.sqlite)')
    .addOption(dataOption())
    .action(async (out: string, options: { data: string }) => {
      console.error(`backing up ${join(options.data, 'msnd.sqlite')}`);
      const result = await backupSqlite(options.data, out);
      console.log(`backed up ${result.source} to ${result.copy} (${result.pages} pages)`);
      console.log(
        `Keep ${join(options.data, SECRET_KEY_FILE)} (or your ${SECRET_KEY_ENV}) with this copy: the passwords in it are encrypted under that key ` +
          `and cannot be used without it. To restore, put the key in ${out} and run: msnd serve --data ${out}`,
      );
    });
}

export function exportCommand(): Command {
  return new Command('export')
    .description('write every account (passwords stay encrypted), list, group and alert as JSON lines to standard output')
    .addOption(dataOption())
    .addOption(storeOption())
    .action(async (options: StoreOptions) => {
      const store = await openStoreDatabase({ dataDir: options.data, url: options.store, mustExist: true });
      try {
        const summary = await exportStore(store, (line) => {
          if (!process.stdout.write(line)) return once(process.stdout, 'drain').then(() => {});
        });
        console.error(`exported ${summary.rows} rows`);
      } finally {
        await store.close();
      }
    });
}

export function importCommand(): Command {
  return new Command('import')
    .description('read an msnd export (a file, or standard input) into a new, empty store')
    .argument('[file]', 'the export (default: standard input)')
    .addOption(dataOption())
    .addOption(storeOption())
    .action(async (file: string | undefined, options: StoreOptions) => {
      const fromEnv = process.env[SECRET_KEY_ENV] !== undefined;
      const keyFile = join(options.data, SECRET_KEY_FILE);
      // A new key could never open the exported passwords: the key must be there before the store is.
      if (!fromEnv && !existsSync(keyFile)) {
        throw new Error(
          `no key: the exported passwords are encrypted under the exporting installation's key; copy its ${SECRET_KEY_FILE} to ${keyFile} or set ${SECRET_KEY_ENV}`,
        );
      }
      const secretKey = loadSecretKey({ dataDir: options.data });
      const keySource = fromEnv ? SECRET_KEY_ENV : keyFile;
      const store = await openStoreDatabase({ dataDir: options.data, url: options.store });
      const input = file === undefined ? process.stdin : createReadStream(file);
      const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      // Taken at once: readline drops the lines it reads before an iterator exists (import awaits
      // the store before its first line); the iterator holds them, pausing the input when too many wait.
      const iterator = lines[Symbol.asyncIterator]();
      try {
        const summary = await importStore(store, { [Symbol.asyncIterator]: () => iterator }, { secretKey, keySource });
        console.log(`imported ${summary.rows} rows (${summary.accounts} accounts)`);
      } catch (error) {
        if (error instanceof ImportError) throw new Error(`import failed, nothing imported: ${error.message}`);
        throw error;
      } finally {
        lines.close();
        await store.close();
      }
    });
}
