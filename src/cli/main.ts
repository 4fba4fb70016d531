import { Command } from 'commander';
import { MSND_VERSION } from '../server/version.ts';

/**
 * Each command's module, loaded only when needed: `msnd chat` or `msnd user …` need not load the
 * web server, the metrics or the database drivers of the others (start-up time, see README).
 */
const COMMANDS: Record<string, () => Promise<Command[]>> = {
  serve: async () => [(await import('./serve.ts')).serveCommand()],
  config: async () => [(await import('./config.ts')).configCommands()],
  user: async () => [(await import('./users.ts')).userCommands()],
  alert: async () => [(await import('./alerts.ts')).alertCommands()],
  status: async () => [(await import('./admin.ts')).statusCommand()],
  audit: async () => [(await import('./admin.ts')).auditCommand()],
  chat: async () => [(await import('./chat.ts')).chatCommand()],
  backup: async () => [(await import('./data.ts')).backupCommand()],
  export: async () => [(await import('./data.ts')).exportCommand()],
  import: async () => [(await import('./data.ts')).importCommand()],
};

/** The program with the commands that `first` (the first argument) needs: its own, none, or all (help). */
export async function buildProgram(first?: string): Promise<Command> {
  const program = new Command('msnd')
    .description('An MSN Messenger service of the MSNP5 era (Messenger 3.x-4.x)')
    .version(MSND_VERSION, '-V, --version', 'print the version of msnd')
    .showHelpAfterError()
    .exitOverride();
  const names =
    first === '-V' || first === '--version' ? [] : first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  for (const name of names) for (const command of await COMMANDS[name]!()) program.addCommand(command);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // A reader that went away (`msnd chat … | head -1`) ends the command quietly, as it ends other
  // tools, instead of with an unhandled EPIPE and its stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  try {
    const program = await buildProgram(argv[2]);
    await program.parseAsync(argv);
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    if (code !== undefined) process.exit(code);
    console.error(`msnd: ${(error as Error).message}`);
    process.exit(1);
  }
}
