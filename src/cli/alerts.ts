// `msnd alert send`: writes a NOT alert to the store; running servers deliver it (MSNP5.md 9.21).
import { Command, Option } from 'commander';
import { AlertError, sendAlert } from '../core/alerts.ts';
import { openStore } from '../store/open.ts';
import { dataOption, initOption, storeOption } from './options.ts';

interface AlertOptions {
  to?: string[];
  all?: boolean;
  text: string;
  url?: string;
  data: string;
  store?: string;
  init?: boolean;
}

export function alertCommands(): Command {
  const alert = new Command('alert').description('send alerts (NOT) to signed-in users');
  alert
    .command('send')
    .description('send an alert: online users get it within a second, the others at their next sign-in')
    .addOption(new Option('--to <handle>', 'recipient (repeat for several)').argParser(collect).conflicts('all'))
    .addOption(new Option('--all', 'every account'))
    .addOption(new Option('--text <text>', 'the alert text').makeOptionMandatory())
    .option('--url <url>', 'http(s) page the alert opens when clicked')
    .addOption(dataOption())
    .addOption(storeOption())
    .addOption(initOption())
    .action(async (options: AlertOptions) => {
      if (!options.all && !options.to) throw new Error('say whom to alert: --to HANDLE or --all');
      const store = await openStore({ dataDir: options.data, url: options.store, create: options.init === true });
      try {
        const sent = await sendAlert(store, { to: options.all ? 'all' : options.to!, text: options.text, url: options.url });
        console.log(`alert ${sent.id} queued for ${sent.recipients} account(s)`);
      } catch (error) {
        if (error instanceof AlertError) throw new Error(error.message);
        throw error;
      } finally {
        await store.close();
      }
    });
  return alert;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
