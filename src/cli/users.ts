import { Command, Option } from 'commander';
import type { Store } from '../core/store.ts';
import { acceptEncoded, canonicalEncode, isValidHandle, NAME_MAX_BYTES, normalizeHandle, percentDecode } from '../protocol/names.ts';
import { openStore } from '../store/open.ts';
import { addAdminUserCommands, report, type StoreOptions, withAdmin } from './admin.ts';
import { dataOption, initOption, storeOption } from './options.ts';
import { userImportCommand } from './user-import.ts';

async function withStore<T>(options: StoreOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir: options.data, url: options.store, create: options.init === true });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export function checkedHandle(handle: string): string {
  if (!isValidHandle(handle)) throw new Error(`"${handle}" is not a valid handle (an e-mail address like you@example.com)`);
  return normalizeHandle(handle);
}

function checkedPassword(password: string | undefined): string {
  if (!password) throw new Error('--password is required');
  return password;
}

export function friendlyNameFor(name: string | undefined, handle: string): string {
  const encoded = canonicalEncode(name ?? handle);
  const check = acceptEncoded(encoded, NAME_MAX_BYTES);
  if (!check.ok) throw new Error(`the name is ${check.reason === 'too-long' ? 'too long' : 'not allowed'}`);
  return check.wire;
}

export function userCommands(): Command {
  const user = new Command('user').description('manage accounts');
  user
    .command('add <handle>')
    .description('create an account')
    .addOption(new Option('--password <pw>', 'messenger password').makeOptionMandatory())
    .option('--name <name>', 'friendly name (default: the handle)')
    .option('--unverified', 'mark the e-mail address as not verified (924 when verification is required)')
    .option('--admin', 'give it the admin role (the admin console)')
    .addOption(dataOption())
    .addOption(storeOption())
    .addOption(initOption())
    .action(async (raw: string, options: StoreOptions & { password: string; name?: string; unverified?: boolean; admin?: boolean }) => {
      const handle = checkedHandle(raw);
      friendlyNameFor(options.name, handle);
      checkedPassword(options.password);
      await withAdmin(options, (admin) =>
        admin.addAccount({
          handle,
          password: options.password,
          name: options.name,
          verified: !options.unverified,
          admin: options.admin === true,
        }),
      );
      console.log(`added ${handle}${options.admin ? ' (admin)' : ''}`);
    });
  user
    .command('passwd <handle>')
    .description("change an account's password")
    .addOption(new Option('--password <pw>', 'new messenger password').makeOptionMandatory())
    .addOption(dataOption())
    .addOption(storeOption())
    .addOption(initOption())
    .action(async (raw: string, options: StoreOptions & { password: string }) => {
      const handle = checkedHandle(raw);
      checkedPassword(options.password);
      await withAdmin(options, (admin) => admin.setPassword(handle, options.password));
      console.log(`password of ${handle} changed`);
    });
  user
    .command('del <handle>')
    .description('delete an account: its sessions end, it leaves every list, the handle is free')
    .addOption(dataOption())
    .addOption(storeOption())
    .addOption(initOption())
    .action(async (raw: string, options: StoreOptions) => {
      const handle = checkedHandle(raw);
      const outcome = await withAdmin(options, (admin) => admin.deleteAccount(handle));
      report(`deleted ${handle}`, outcome);
    });
  user
    .command('list')
    .description('list accounts')
    .addOption(dataOption())
    .addOption(storeOption())
    .addOption(initOption())
    .action(async (options: StoreOptions) => {
      const accounts = await withStore(options, (store) => store.listAccounts());
      for (const a of accounts) {
        console.log(`${a.handle}\t${percentDecode(a.friendlyName).toString('utf8')}\t${a.verified ? 'verified' : 'unverified'}`);
      }
    });
  addAdminUserCommands(user);
  user.addCommand(userImportCommand());
  return user;
}
