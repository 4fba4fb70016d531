// `msnd user show/verify/disable/enable/kick/rename/grant-admin/revoke-admin`, `msnd status` and
// `msnd audit`: the operator's command line over core/admin.ts. They work while the server runs:
// the store is where this process and every running node meet (core/admin.ts).
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Admin, AdminError, type AccountView, type EndOutcome, type ServiceStatus } from '../core/admin.ts';
import type { Store } from '../core/store.ts';
import { percentDecode } from '../protocol/names.ts';
import { openStore } from '../store/open.ts';
import { dataOption, initOption, storeOption } from './options.ts';

export interface StoreOptions {
  data: string;
  store?: string;
  init?: boolean;
}

/** The CLI's actor in the audit log: `cli:<os user>`. */
export function cliActor(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (a container): the environment's USER, if any.
  }
  return `cli:${user}`;
}

/** Runs `work` with an Admin on the store; an AdminError becomes the command's message. */
export async function withAdmin<T>(options: StoreOptions, work: (admin: Admin, store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir: options.data, url: options.store, create: options.init === true });
  try {
    return await work(new Admin(store, { actor: cliActor() }), store);
  } catch (error) {
    if (error instanceof AdminError) throw new Error(error.message);
    throw error;
  } finally {
    await store.close();
  }
}

/** Adds the options every store command takes. */
export function onStore(command: Command): Command {
  return command.addOption(dataOption()).addOption(storeOption()).addOption(initOption());
}

/** The account commands of core/admin.ts, added to `msnd user`. */
export function addAdminUserCommands(user: Command): void {
  onStore(user.command('show <handle>').description('show an account: name, state, sign-ins, lists, phones, directory')).action(
    async (handle: string, options: StoreOptions) => {
      const view = await withAdmin(options, (admin) => admin.showAccount(handle));
      console.log(describeAccount(view, Date.now()).join('\n'));
    },
  );
  onStore(user.command('verify <handle>').description("mark an account's e-mail address verified")).action(
    async (handle: string, options: StoreOptions) => {
      await withAdmin(options, (admin) => admin.verify(handle));
      console.log(`verified ${handle.toLowerCase()}`);
    },
  );
  onStore(
    user
      .command('disable <handle>')
      .description('refuse the account at sign-in (like a wrong password) and end its sessions')
      .option('--reason <text>', 'why (kept with the account and in the audit log)', ''),
  ).action(async (handle: string, options: StoreOptions & { reason: string }) => {
    const outcome = await withAdmin(options, (admin) => admin.disable(handle, options.reason));
    report(`disabled ${handle.toLowerCase()}`, outcome);
  });
  onStore(user.command('enable <handle>').description('let a disabled account sign in again')).action(
    async (handle: string, options: StoreOptions) => {
      await withAdmin(options, (admin) => admin.enable(handle));
      console.log(`enabled ${handle.toLowerCase()}`);
    },
  );
  onStore(user.command('kick <handle>').description("end the account's sessions (it may sign in again)")).action(
    async (handle: string, options: StoreOptions) => {
      const outcome = await withAdmin(options, (admin) => admin.kick(handle));
      report(`kicked ${handle.toLowerCase()}`, outcome);
    },
  );
  onStore(
    user
      .command('rename <handle>')
      .description("set an account's friendly name (a signed-in session takes it at once)")
      .addOption(new Option('--name <name>', 'the new friendly name').makeOptionMandatory()),
  ).action(async (handle: string, options: StoreOptions & { name: string }) => {
    await withAdmin(options, (admin) => admin.rename(handle, options.name));
    console.log(`renamed ${handle.toLowerCase()}`);
  });
  onStore(user.command('grant-admin <handle>').description('give the account the admin role (the admin console)')).action(
    async (handle: string, options: StoreOptions) => {
      await withAdmin(options, (admin) => admin.grantAdmin(handle));
      console.log(`${handle.toLowerCase()} is an admin`);
    },
  );
  onStore(user.command('revoke-admin <handle>').description('take the admin role away (ends its browser sign-ins)')).action(
    async (handle: string, options: StoreOptions) => {
      await withAdmin(options, (admin) => admin.revokeAdmin(handle));
      console.log(`${handle.toLowerCase()} is no admin`);
    },
  );
}

/** Prints what an action that ends sessions did; a session that did not end is a warning (exit 0: the change is made). */
export function report(done: string, outcome: EndOutcome): void {
  const where = outcome.session && `its session on node ${outcome.session.node}`;
  if (!where) console.log(`${done} (not signed in)`);
  else if (outcome.ended) console.log(`${done}; ${where} ended`);
  else {
    console.log(done);
    console.error(`msnd: warning: ${where} did not end within 10 s: is that node running? (it is refused at its next sign-in)`);
  }
}

const NOT_RUNNING = 3;

export function statusCommand(): Command {
  return onStore(new Command('status').description('the running servers (nodes) on this store: sessions, switchboards, backlog')).action(
    async (options: StoreOptions) => {
      const status = await withAdmin(options, (admin) => admin.status());
      console.log(describeStatus(status, Date.now()).join('\n'));
      // As an init script's `status`: 3 is "not running", for monitoring scripts and health checks.
      if (status.nodes.length === 0) process.exitCode = NOT_RUNNING;
    },
  );
}

export function auditCommand(): Command {
  return onStore(
    new Command('audit')
      .description('print the audit log of admin actions, oldest first')
      .addOption(
        new Option('--since <when>', 'from this time: an ISO date/time (2026-12-06, 2026-12-06T17:00Z) or an age (30m, 12h, 7d)').argParser(
          (value: string) => parseSince(value, Date.now()),
        ),
      )
      .addOption(new Option('--limit <n>', 'at most the newest N entries').default(1000).argParser(parseLimit)),
  ).action(async (options: StoreOptions & { since?: number; limit: number }) => {
    const entries = await withAdmin(options, (admin) => admin.auditLog(options.since ?? 0, options.limit));
    for (const e of entries) console.log([new Date(e.at).toISOString(), e.actor, e.action, e.target || '-', e.detail].join('\t').trimEnd());
  });
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an age (`90s`, `30m`, `12h`, `7d`) or an ISO date/time; Unix ms. */
export function parseSince(value: string, now: number): number {
  const age = /^(\d{1,9})([smhd])$/.exec(value);
  if (age) return now - Number(age[1]) * UNIT_MS[age[2]!]!;
  const at = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw new InvalidArgumentError('not a time: give an ISO date/time (2026-12-06T17:00Z) or an age (30m, 12h, 7d)');
  return at;
}

function parseLimit(value: string): number {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new InvalidArgumentError('not a positive whole number');
  return Number(value);
}

const text = (encoded: string) => percentDecode(encoded).toString('utf8');
const when = (ms: number) => new Date(ms).toISOString();

export function describeAccount(view: AccountView, now: number): string[] {
  const { account, listSizes, directory } = view;
  const phones = account.phones;
  const live = view.signedInNow;
  return [
    `handle:        ${account.handle}`,
    `name:          ${text(account.friendlyName)}`,
    `verified:      ${account.verified ? 'yes' : 'no'}`,
    `disabled:      ${account.disabled ? `yes${view.disabledReason ? ` (${view.disabledReason})` : ''}` : 'no'}`,
    `admin:         ${account.admin ? 'yes' : 'no'}`,
    `created:       ${when(account.createdAt * 1000)}`,
    `last sign-in:  ${view.lastSignIn ? `${when(view.lastSignIn.at)} from ${view.lastSignIn.address}` : 'never'}`,
    `signed in now: ${
      live
        ? `yes, on node ${live.node} (NS ${live.nodeReport.ns}), ${live.dialect}, from ${live.address}, for ${duration(now - live.since)}`
        : 'no'
    }`,
    `lists:         FL ${listSizes.FL}, AL ${listSizes.AL}, BL ${listSizes.BL}, RL ${listSizes.RL}`,
    `phones:        home ${text(phones.PHH) || '-'}, work ${text(phones.PHW) || '-'}, mobile ${text(phones.PHM) || '-'}; pages allowed (MOB) ${phones.MOB}, MSN Mobile (MBE) ${phones.MBE}`,
    `directory:     ${
      directory
        ? `${directory.listed ? 'listed' : 'not listed'}: ${[directory.firstName, directory.lastName].join(' ')}, ${[directory.city, directory.state, directory.country].filter(Boolean).join(', ') || '-'}`
        : 'none'
    }`,
  ];
}

export function describeStatus(status: ServiceStatus, now: number): string[] {
  const lines: string[] = [];
  if (status.nodes.length === 0) lines.push('no msnd server is running on this store (no node reported within the last 15 s)');
  else lines.push(`${status.nodes.length} node(s) running`);
  for (const { report, signedIn } of status.nodes) {
    lines.push(
      `node ${report.id}: msnd ${report.version}, up ${duration(now - report.startedAt)}, bus ${report.bus}, NS ${report.ns}, SB ${report.sb}, web ${report.web}, sessions ${signedIn}, switchboards ${report.switchboards}`,
    );
  }
  lines.push(`sessions:       ${status.sessions}`);
  lines.push(`switchboards:   ${status.switchboards}`);
  const backlog = status.backlog;
  if (backlog) {
    const count = (state: 'waiting' | 'given-up') => backlog.outbox.filter((o) => o.state === state).reduce((sum, o) => sum + o.count, 0);
    lines.push(`outbox:         ${count('waiting')} waiting, ${count('given-up')} given up`);
    lines.push(`alerts pending: ${backlog.pendingAlerts}`);
  }
  return lines;
}

/** `3d 4h`, `2h 5m`, `4m 10s`, `12s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ');
}
