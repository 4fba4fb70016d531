import type { Kysely } from 'kysely';
import type { AuditEntry } from '../core/admin-store.ts';
import type {
  DirectoryEntry,
  DirectoryQuery,
  MailboxCounts,
  NewAccount,
  NewAlert,
  NewOutboxItem,
  Store,
  StoreBacklog,
  StoreTx,
} from '../core/store.ts';
import { addOnTx, removeOnTx, type ContactAdd, type ContactRemove } from '../core/list-edits.ts';
import type { Account } from '../core/types.ts';
import { KyselyAccounts } from './accounts.ts';
import { KyselyAdmin } from './admin.ts';
import { KyselyAlerts } from './alerts.ts';
import { KyselyDirectory } from './directory.ts';
import type { Engine } from './engine.ts';
import { KyselyMailboxes } from './mailbox.ts';
import { KyselyOutbox } from './outbox.ts';
import { PostgresListBatches } from './pg-list-batch.ts';
import type { Database } from './schema.ts';
import { GroupCommit } from './group-commit.ts';
import type { ListsClock } from './lists-clock.ts';
import { postgresSignInBatches, QueuedSignIns, type SignInRecords, sqliteSignInBatches } from './signin-records.ts';
import { KyselyStoreTx } from './store-tx.ts';
import { listsAtOnce, listsAtOnceOf } from './hot-reads.ts';

/**
 * Store on kysely; the engine-specific parts come in through `engine`. Each family of the Store
 * interface lives in its own file (accounts, directory, alerts, mailbox, outbox; a transaction's
 * reads and writes in store-tx.ts); this class holds the connection and hands each call on.
 */
export class KyselyStore implements Store {
  readonly kind: Store['kind'];
  readonly listsAtOnce: Store['listsAtOnce'];
  readonly admin: KyselyAdmin;
  private readonly outsideTransaction: KyselyStoreTx;
  private readonly accounts: KyselyAccounts;
  private readonly directory: KyselyDirectory;
  private readonly alerts: KyselyAlerts;
  private readonly mailboxes: KyselyMailboxes;
  private readonly outbox: KyselyOutbox;
  /** SQLite only: concurrent transactions share one commit (group-commit.ts). */
  private readonly grouped: GroupCommit | undefined;
  /** PostgreSQL only: ADD and REM in server-side functions, concurrent ones committed together. */
  private readonly listEdits: PostgresListBatches | undefined;
  private readonly signIns: SignInRecords;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
    secretKey: Buffer,
    /** SQLite only: PostgreSQL is written by other nodes, which no local count sees. */
    private readonly listsClock?: ListsClock,
  ) {
    this.kind = engine.kind;
    if (engine.kind === 'postgres') this.listsAtOnce = async (id) => listsAtOnceOf(await listsAtOnce(db, engine, id));
    this.outsideTransaction = new KyselyStoreTx(db, engine);
    this.accounts = new KyselyAccounts(db, engine, secretKey);
    this.directory = new KyselyDirectory(db, engine);
    this.alerts = new KyselyAlerts(db, engine, listsClock);
    this.mailboxes = new KyselyMailboxes(db);
    this.outbox = new KyselyOutbox(db);
    this.listEdits = engine.kind === 'postgres' ? new PostgresListBatches(db) : undefined;
    const grouped = engine.kind === 'sqlite' ? new GroupCommit(db, (conn) => new KyselyStoreTx(conn, engine)) : undefined;
    this.grouped = grouped;
    this.signIns = new QueuedSignIns(
      grouped ? sqliteSignInBatches(engine, (write) => grouped.runOn(write, false)) : postgresSignInBatches(db),
    );
    this.admin = new KyselyAdmin(db, engine, this.directory, this.signIns);
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.grouped) return this.grouped.run(fn);
    return this.db.transaction().execute((trx) => fn(new KyselyStoreTx(trx, this.engine)));
  }

  snapshot<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.listsClock && this.grouped) return this.readsWithoutTransaction(this.listsClock, this.grouped, fn);
    // PostgreSQL: at its default READ COMMITTED each statement of a transaction sees the commits
    // made before it began, so SYN's account (its list version) and its lists could disagree; a
    // REPEATABLE READ transaction sees one state throughout, and being read-only it never fails
    // to serialize. The same BEGIN … COMMIT round trips.
    return this.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((trx) => fn(new KyselyStoreTx(trx, this.engine)));
  }

  /**
   * SQLite: the reads on msnd's one connection, held for them, so that none of this process's
   * writes comes between; no other connection's commit came between either when `data_version`
   * did not move, and then they saw one state, as in a transaction, without its four statements
   * (BEGIN, COMMIT and the synchronous pragmas of a group commit). Else read again in one.
   */
  private async readsWithoutTransaction<T>(clock: ListsClock, grouped: GroupCommit, fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const seen = await this.db.connection().execute(async (conn) => {
      // `before` may be a reading of earlier in this turn (ListsClock.earlierDataVersion); the one
      // after must be taken now, after the last of the reads.
      const before = clock.earlierDataVersion();
      const value = await fn(new KyselyStoreTx(conn, this.engine));
      return clock.freshDataVersion() === before ? { value } : undefined;
    });
    if (seen) return seen.value;
    return grouped.runOn((conn) => fn(new KyselyStoreTx(conn, this.engine)), false);
  }

  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return fn(this.outsideTransaction);
  }

  listsVersion(): number | undefined {
    return this.listsClock?.now();
  }

  addContact(req: ContactAdd) {
    return this.listEdits ? this.listEdits.add(req) : this.transaction((tx) => addOnTx(tx, req));
  }

  removeContact(req: ContactRemove) {
    return this.listEdits ? this.listEdits.remove(req) : this.transaction((tx) => removeOnTx(tx, req));
  }

  findAccount(handle: string): Promise<Account | undefined> {
    return this.outsideTransaction.accountByHandle(handle);
  }

  listAccounts(): Promise<Account[]> {
    return this.outsideTransaction.listAccounts();
  }

  createAccount(input: NewAccount, audit?: AuditEntry) {
    return this.accounts.createAccount(input, audit);
  }
  deleteAccount(handle: string) {
    return this.accounts.deleteAccount(handle);
  }
  secretOf(handle: string) {
    return this.accounts.secretOf(handle);
  }
  credentialsOf(handle: string) {
    return this.accounts.credentialsOf(handle);
  }
  setSecret(handle: string, secret: string, audit?: AuditEntry) {
    return this.accounts.setSecret(handle, secret, audit);
  }

  directoryEntry(accountId: number) {
    return this.directory.directoryEntry(accountId);
  }
  setDirectoryEntry(accountId: number, entry: DirectoryEntry | null) {
    return this.directory.setDirectoryEntry(accountId, entry);
  }
  searchDirectory(query: DirectoryQuery, limit: number) {
    return this.directory.searchDirectory(query, limit);
  }

  createAlert(alert: NewAlert) {
    return this.alerts.createAlert(alert);
  }
  pendingAlerts(accountIds: readonly number[]) {
    return this.alerts.pendingAlerts(accountIds);
  }
  claimAlert(accountId: number, alertId: number) {
    return this.alerts.claimAlert(accountId, alertId);
  }
  expireAlerts(createdBefore: number) {
    return this.alerts.expireAlerts(createdBefore);
  }

  mailbox(accountId: number) {
    return this.mailboxes.mailbox(accountId);
  }
  setMailbox(accountId: number, counts: MailboxCounts) {
    return this.mailboxes.setMailbox(accountId, counts);
  }

  enqueueOutbox(item: NewOutboxItem, now: number) {
    return this.outbox.enqueueOutbox(item, now);
  }
  nextOutbox(now: number, leaseMs: number) {
    return this.outbox.nextOutbox(now, leaseMs);
  }
  markOutboxSent(id: number, now: number) {
    return this.outbox.markOutboxSent(id, now);
  }
  markOutboxFailed(id: number, error: string, retryAt: number | null) {
    return this.outbox.markOutboxFailed(id, error, retryAt);
  }
  outboxItem(id: number) {
    return this.outbox.outboxItem(id);
  }
  failedOutbox(limit: number) {
    return this.outbox.failedOutbox(limit);
  }
  retryOutbox(id: number, now: number) {
    return this.outbox.retryOutbox(id, now);
  }
  dropOutbox(id: number) {
    return this.outbox.dropOutbox(id);
  }

  async backlog(): Promise<StoreBacklog> {
    const [outbox, alerts] = await Promise.all([
      this.outbox.backlog(),
      this.db
        .selectFrom('pending_alerts')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow(),
    ]);
    return { outbox, pendingAlerts: Number(alerts.count) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.signIns.flush();
    await this.db.destroy();
  }
}
