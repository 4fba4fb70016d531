import { Command, Option } from 'commander';
import { AccountExistsError, type Store } from '../core/store.ts';
import { acceptEncoded, canonicalEncode, isValidHandle, NAME_MAX_BYTES, normalizeHandle, percentDecode } from '../protocol/names.ts';
import { openStore } from '../store/open.ts';
import { dataOption, initOption, storeOption } from './options.ts';
import { userImportCommand } from './user-import.ts';

interface StoreOptions {
  data: string;
  store?: string;
  init?: boolean;
}

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
    .addOption(dataOption())
    .addOption(storeOption())
    .addOption(initOption())
    .action(async (raw: string, options: StoreOptions & { password: string; name?: string; unverified?: boolean }) => {
      const handle = checkedHandle(raw);
      const friendlyName = friendlyNameFor(options.name, handle);
      await withStore(options, async (store) => {
        try {
          await store.createAccount({ handle, friendlyName, secret: checkedPassword(options.password), verified: !options.unverified });
        } catch (error) {
          if (error instanceof AccountExistsError) throw new Error(`${handle} already exists`);
          throw error;
        }
      });
      console.log(`added ${handle}`);
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
      const changed = await withStore(options, (store) => store.setSecret(handle, checkedPassword(options.password)));
      if (!changed) throw new Error(`no account ${handle}`);
      console.log(`password of ${handle} changed`);
    });
  user
    .command('del <handle>')
    .description('delete an account and remove it from every list')
    .addOption(dataOption())
    .addOption(storeOption())
    .addOption(initOption())
    .action(async (raw: string, options: StoreOptions) => {
      const handle = checkedHandle(raw);
      const deleted = await withStore(options, (store) => store.deleteAccount(handle));
      if (!deleted) throw new Error(`no account ${handle}`);
      console.log(`deleted ${handle}`);
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
  user.addCommand(userImportCommand());
  return user;
}
