import { Command } from 'commander';
import { exampleToml } from '../server/config-example.ts';
import { loadSettings, settingsToToml } from '../server/config-file.ts';
import { settingOptions, settingSources } from './serve.ts';

/** `msnd config check` and `msnd config example`. */
export function configCommands(): Command {
  const config = new Command('config').description('check a configuration file, or print an example one');
  const check = new Command('check').description(
    'check the settings `serve` would use (the file, MSND_ variables and these flags) without starting, and print them as TOML (secrets hidden)',
  );
  for (const option of settingOptions()) check.addOption(option);
  check.action((_options: unknown, self: Command) => {
    const sources = settingSources(self);
    const settings = loadSettings(sources);
    process.stdout.write(
      `# msnd: effective settings${sources.file ? ` of ${sources.file}` : ''} (secrets hidden)\n${settingsToToml(settings)}`,
    );
    console.error(`msnd: the settings are valid${sources.file ? ` (${sources.file})` : ''}`);
  });
  config.addCommand(check);
  config.addCommand(
    new Command('example')
      .description('print a configuration file with every setting, commented out, and its default (msnd.example.toml)')
      .action(() => {
        process.stdout.write(exampleToml());
      }),
  );
  return config;
}
