import { sql, type Kysely } from 'kysely';
import type {
  AccountDetails,
  AdminRecords,
  NodeReport,
  SessionNotice,
  SignIn,
  StoredAuditEntry,
  StoredNodeReport,
  StoredNotice,
} from '../core/admin-store.ts';
import type { ListName } from '../core/types.ts';
import type { KyselyDirectory } from './directory.ts';
import type { Engine } from './engine.ts';
import type { Database } from './schema.ts';
import type { SignInRecords } from './signin-records.ts';
import { KyselyStoreTx } from './store-tx.ts';

/** The administration's records (core/admin-store.ts) on kysely. */
export class KyselyAdmin implements AdminRecords {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    private readonly directory: KyselyDirectory,
    /** Written later on SQLite: each read of them below flushes them first. */
    private readonly signIns: SignInRecords,
  ) {}

  async details(handle: string): Promise<AccountDetails | undefined> {
    await this.signIns.flush();
    const tx = new KyselyStoreTx(this.db, this.engine);
    const account = await tx.accountByHandle(handle);
    if (!account) return undefined;
    const [extra, signIn, directory, ...sizes] = await Promise.all([
      this.db
        .selectFrom('accounts')
        .select(['disabled_reason', 'last_signin_at', 'last_signin_address'])
        .where('id', '=', account.id)
        .executeTakeFirst(),
      this.signInOf(account.id),
      this.directory.directoryEntry(account.id),
      ...(['FL', 'AL', 'BL', 'RL'] as const).map((list) => tx.countList(account.id, list)),
    ]);
    const listSizes = { FL: sizes[0]!, AL: sizes[1]!, BL: sizes[2]!, RL: sizes[3]! } satisfies Record<ListName, number>;
    const lastAt = extra?.last_signin_at;
    return {
      account,
      disabledReason: extra?.disabled_reason ?? '',
      ...(lastAt !== null && lastAt !== undefined && { lastSignIn: { at: Number(lastAt), address: extra!.last_signin_address } }),
      ...(signIn && { signIn }),
      listSizes,
      ...(directory && { directory }),
    };
  }

  recordSignIn(accountId: number, signIn: SignIn): Promise<void> {
    return this.signIns.signIn(accountId, signIn);
  }

  recordSignOut(accountId: number, sessionId: string): Promise<void> {
    return this.signIns.signOut(accountId, sessionId);
  }

  async signInOf(accountId: number): Promise<SignIn | undefined> {
    await this.signIns.flush();
    const row = await this.db.selectFrom('signins').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    return row && { sessionId: row.session_id, node: row.node, dialect: row.dialect, address: row.address, since: Number(row.since) };
  }

  async notices(afterId: number, limit: number): Promise<StoredNotice[]> {
    const rows = await this.db.selectFrom('session_notices').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map((row) => ({
      id: row.id,
      handle: row.handle,
      notice: JSON.parse(row.body) as SessionNotice,
      createdAt: Number(row.created_at),
    }));
  }

  async lastNoticeId(): Promise<number> {
    const row = await this.db
      .selectFrom('session_notices')
      .select((eb) => eb.fn.max('id').as('top'))
      .executeTakeFirst();
    return Number(row?.top ?? 0);
  }

  async pruneNotices(createdBefore: number): Promise<number> {
    const result = await this.db.deleteFrom('session_notices').where('created_at', '<', createdBefore).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async reportNode(report: NodeReport, now: number): Promise<void> {
    const body = JSON.stringify(report);
    await this.db
      .insertInto('nodes')
      .values({ id: report.id, report: body, seen_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ report: body, seen_at: now }))
      .execute();
  }

  async forgetNode(id: string): Promise<void> {
    await this.signIns.flush();
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('signins').where('node', '=', id).execute();
      await trx.deleteFrom('nodes').where('id', '=', id).execute();
    });
  }

  async nodes(): Promise<StoredNodeReport[]> {
    const rows = await this.db.selectFrom('nodes').selectAll().orderBy('id').execute();
    return rows.map((row) => ({ report: JSON.parse(row.report) as NodeReport, seenAt: Number(row.seen_at) }));
  }

  async signInsPerNode(): Promise<Map<string, number>> {
    await this.signIns.flush();
    const rows = await this.db
      .selectFrom('signins')
      .select(['node', sql<number>`count(*)`.as('n')])
      .groupBy('node')
      .execute();
    return new Map(rows.map((row) => [row.node, Number(row.n)]));
  }

  async auditLog(since: number, limit: number): Promise<StoredAuditEntry[]> {
    const rows = await this.db.selectFrom('audit_log').selectAll().where('at', '>=', since).orderBy('id', 'desc').limit(limit).execute();
    return rows.reverse().map((row) => ({ ...row, at: Number(row.at) }));
  }
}
