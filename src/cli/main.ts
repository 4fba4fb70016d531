import { Command, InvalidArgumentError, Option } from 'commander';
import { checkStoreUrl } from '../store/open.ts';
import { auditCommand, statusCommand } from './admin.ts';
import { alertCommands } from './alerts.ts';
import { chatCommand } from './chat.ts';
import { configCommands } from './config.ts';
import { backupCommand, exportCommand, importCommand } from './data.ts';
import { serveCommand } from './serve.ts';
import { userCommands } from './users.ts';

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

export function buildProgram(): Command {
  const program = new Command('msnd')
    .description('An MSN Messenger service of the MSNP5 era (Messenger 3.x-4.x)')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(serveCommand());
  program.addCommand(configCommands());
  program.addCommand(userCommands());
  program.addCommand(alertCommands());
  program.addCommand(statusCommand());
  program.addCommand(auditCommand());
  program.addCommand(chatCommand());
  program.addCommand(backupCommand());
  program.addCommand(exportCommand());
  program.addCommand(importCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    if (code !== undefined) process.exit(code);
    console.error(`msnd: ${(error as Error).message}`);
    process.exit(1);
  }
}
