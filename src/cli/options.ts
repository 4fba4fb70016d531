// Options and argument parsers shared by the commands (kept apart from main.ts, which loads only
// the command that runs).
import { InvalidArgumentError, Option } from 'commander';
import { checkStoreUrl } from '../store/open.ts';

export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('not a port number (0-65535)');
  return Number(value);
}

export function parseCount(value: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new InvalidArgumentError('not a positive whole number');
  return Number(value);
}

/** `--data DIR`, shared by every command (MSND_DATA). */
export function dataOption(): Option {
  return new Option('--data <dir>', 'data directory (SQLite store, key file)').env('MSND_DATA').default('./data');
}

/** `--store URL`: a postgres:// URL puts accounts and lists in PostgreSQL instead of SQLite. */
export function storeOption(): Option {
  return new Option('--store <url>', 'postgres:// URL of a PostgreSQL store (default: SQLite in --data)')
    .env('MSND_STORE')
    .argParser((value: string) => {
      if (value === '') return value;
      try {
        checkStoreUrl(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      return value;
    });
}

/** `--init`: the commands other than `serve` open only an existing store unless told to create one. */
export function initOption(): Option {
  return new Option('--init', 'create the store (and key) if the data directory has none');
}
