// The sign-in records of `msnd user show` and `msnd status` (admin.ts), written at every sign-in and
// sign-out: the records of many sessions written together (QueuedSignIns), on SQLite as statements
// compiled once (prepared.ts) in one transaction, on PostgreSQL in one statement.
import { type Kysely, type QueryCreator, sql } from 'kysely';
import type { SignIn } from '../core/admin-store.ts';
import type { Engine } from './engine.ts';
import { prepared } from './prepared.ts';
import type { Database } from './schema.ts';

type SignInArgs = [accountId: number, sessionId: string, node: string, dialect: string, address: string, since: number];

const signInRow = (...[accountId, sessionId, node, dialect, address, since]: SignInArgs) => ({
  account_id: accountId,
  session_id: sessionId,
  node,
  dialect,
  address,
  since,
});

/**
 * SQLite: the account's current session, unless a later sign-in's row is there already (the writes
 * of QueuedSignIns may reach the file after another server's newer record of the same account,
 * several servers sharing one data directory), or the account was removed meanwhile (its row would
 * fail the whole batch).
 */
const currentSignIn = prepared((db, _engine, ...args: SignInArgs) => {
  const { account_id, ...row } = signInRow(...args);
  return db
    .insertInto('signins')
    .columns(['account_id', 'session_id', 'node', 'dialect', 'address', 'since'])
    .expression(
      db
        .selectFrom('accounts')
        .select((eb) => [
          eb.val(account_id).as('account_id'),
          eb.val(row.session_id).as('session_id'),
          eb.val(row.node).as('node'),
          eb.val(row.dialect).as('dialect'),
          eb.val(row.address).as('address'),
          eb.val(row.since).as('since'),
        ])
        .where('id', '=', account_id),
    )
    .onConflict((oc) => oc.column('account_id').doUpdateSet(row).where('signins.since', '<=', row.since));
});

const touchAccount = (db: QueryCreator<Database>, accountId: number, since: number, address: string) =>
  db.updateTable('accounts').set({ last_signin_at: since, last_signin_address: address }).where('id', '=', accountId);

/** SQLite: the account's last sign-in, unless a later one is recorded already (as currentSignIn). */
const lastSignIn = prepared((db, _engine, accountId: number, since: number, address: string) =>
  touchAccount(db, accountId, since, address).where((eb) => eb.or([eb('last_signin_at', 'is', null), eb('last_signin_at', '<=', since)])),
);

const forgetSession = prepared((db, _engine, accountId: number, sessionId: string) =>
  db.deleteFrom('signins').where('account_id', '=', accountId).where('session_id', '=', sessionId),
);

/** SQLite: writes one sign-in, the account's last and its current (`db`: a transaction, as sqliteSignInBatches runs it). */
export async function writeSignIn(db: Kysely<Database>, engine: Engine, accountId: number, signIn: SignIn): Promise<void> {
  const { sessionId, node, dialect, address, since } = signIn;
  await lastSignIn(db, engine, accountId, since, address);
  await currentSignIn(db, engine, accountId, sessionId, node, dialect, address, since);
}

/** The records of sign-ins and sign-outs, written in the order asked for per account. */
export interface SignInRecords {
  /** Resolves once the record is written; rejects when writing it failed. */
  signIn(accountId: number, signIn: SignIn): Promise<void>;
  signOut(accountId: number, sessionId: string): Promise<void>;
  /** Writes what is still waiting (before a read of the records, and at close). */
  flush(): Promise<void>;
}

/**
 * What one account's records since the last flush leave to write: the sessions signed out (their
 * row goes if it still holds them), the latest sign-in (the account's last, and the session to
 * record as current) and whether it has ended since (its row written, replacing an older one, then
 * deleted: as if written at once).
 */
export interface AccountRecords {
  forget: string[];
  currentEnded?: boolean;
  current?: SignIn;
  settle: { resolve(): void; reject(err: unknown): void }[];
}

/** At most this long between a record and its write (see QueuedSignIns). */
const SIGN_IN_FLUSH_MS = 50;
/** A flush starts at once when this many accounts wait (a bound on one transaction's length). */
const MAX_ACCOUNTS_PER_FLUSH = 256;

/** Writes the records of a flush, all or none; `batch`: by account, in the order they were asked for. */
export type WriteSignInBatch = (batch: ReadonlyMap<number, AccountRecords>) => Promise<void>;

/**
 * The records of every sign-in and sign-out of the last SIGN_IN_FLUSH_MS written together
 * (`writeBatch`: sqliteSignInBatches, postgresSignInBatches), instead of one write each (on SQLite
 * 6 statements a sign-in, 5 a sign-out; on PostgreSQL a round trip each, two a session). No client
 * waits on them; this process's readers of the records flush first (KyselyAdmin), so only another
 * process (`msnd status`, `msnd user show`, the kick's wait, another node) sees them late, by at
 * most 50 ms: less than such a command takes to start. At ~500 sign-ins a second, one batch
 * carries some 25 sign-ins and their sign-outs.
 */
export class QueuedSignIns implements SignInRecords {
  private pending = new Map<number, AccountRecords>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly writeBatch: WriteSignInBatch) {}

  signIn(accountId: number, signIn: SignIn): Promise<void> {
    return this.queue(accountId, (records) => {
      records.currentEnded = false;
      records.current = signIn;
    });
  }

  signOut(accountId: number, sessionId: string): Promise<void> {
    return this.queue(accountId, (records) => {
      // Deleting by session id, never the account's row whatever it holds: another node may have
      // recorded a newer session there.
      if (records.current?.sessionId === sessionId) records.currentEnded = true;
      else records.forget.push(sessionId);
    });
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    // In order: a flush asked for while one writes comes after it, as its records do.
    this.writing = this.writing.then(() => (batch.size > 0 ? this.commit(batch) : undefined));
    return this.writing;
  }

  private queue(accountId: number, change: (records: AccountRecords) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const records = this.pending.get(accountId) ?? { forget: [], settle: [] };
      this.pending.set(accountId, records);
      change(records);
      records.settle.push({ resolve, reject });
      if (this.pending.size >= MAX_ACCOUNTS_PER_FLUSH) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), SIGN_IN_FLUSH_MS);
    });
  }

  private async commit(batch: Map<number, AccountRecords>): Promise<void> {
    const settles = [...batch.values()].flatMap((records) => records.settle);
    try {
      await this.writeBatch(batch);
    } catch (err) {
      for (const settle of settles) settle.reject(err);
      return;
    }
    for (const settle of settles) settle.resolve();
  }
}

/**
 * SQLite: a batch as the single-row statements of each account, in one group-committed transaction
 * without an fsync (`write`: GroupCommit.runOn's non-durable work).
 */
export function sqliteSignInBatches(
  engine: Engine,
  write: (fn: (db: Kysely<Database>) => Promise<void>) => Promise<void>,
): WriteSignInBatch {
  return (batch) =>
    write(async (db) => {
      for (const [accountId, records] of batch) await writeAccount(db, engine, accountId, records);
    });
}

async function writeAccount(db: Kysely<Database>, engine: Engine, accountId: number, records: AccountRecords): Promise<void> {
  for (const sessionId of records.forget) await forgetSession(db, engine, accountId, sessionId);
  if (!records.current) return;
  await writeSignIn(db, engine, accountId, records.current);
  if (records.currentEnded) await forgetSession(db, engine, accountId, records.current.sessionId);
}

/**
 * PostgreSQL: a batch in one transaction of two statements: the accounts locked in id order (as
 * every transaction that locks several accounts does, so that this one cannot deadlock with a list
 * edit or another node's batch), then every record in one statement. That statement touches each
 * row once, as a statement must: per account either its current session written (over the row
 * unless a later sign-in's is there, as currentSignIn; its older sessions' sign-outs need no
 * delete then) or the row deleted if it holds a session signed out, or one older than a current
 * session that has ended since (written then deleted: as if written at once). An account removed
 * meanwhile gets no row (its locked row cannot go away until the commit), and fails no one else's.
 */
export function postgresSignInBatches(db: Kysely<Database>): WriteSignInBatch {
  return (batch) => {
    const ids = [...batch.keys()];
    const forgotten: [number[], string[]] = [[], []];
    const ended: [number[], number[]] = [[], []];
    const last: [number[], number[], string[]] = [[], [], []];
    const current: [number[], string[], string[], string[], string[], number[]] = [[], [], [], [], [], []];
    for (const [accountId, records] of batch) {
      // The last sign-in is the latest session's, ended or not.
      if (records.current) push(last, accountId, records.current.since, records.current.address);
      const live = records.current && !records.currentEnded ? records.current : undefined;
      if (live) {
        push(current, accountId, live.sessionId, live.node, live.dialect, live.address, live.since);
        continue;
      }
      for (const sessionId of records.forget) push(forgotten, accountId, sessionId);
      if (records.current) push(ended, accountId, records.current.since);
    }
    return db.transaction().execute(async (trx) => {
      await sql`select 1 from accounts where id = any (${ids}::integer[]) order by id for update`.execute(trx);
      await sql`with gone as (
          delete from signins s
          where (s.account_id, s.session_id) in (select * from unnest(${forgotten[0]}::integer[], ${forgotten[1]}::text[]))
            or exists (select 1 from unnest(${ended[0]}::integer[], ${ended[1]}::bigint[]) e (account_id, since)
              where e.account_id = s.account_id and s.since <= e.since)
        ), touched as (
          update accounts a set last_signin_at = l.since, last_signin_address = l.address
          from unnest(${last[0]}::integer[], ${last[1]}::bigint[], ${last[2]}::text[]) l (id, since, address)
          where a.id = l.id and (a.last_signin_at is null or a.last_signin_at <= l.since)
        )
        insert into signins (account_id, session_id, node, dialect, address, since)
        select v.* from unnest(${current[0]}::integer[], ${current[1]}::text[], ${current[2]}::text[], ${current[3]}::text[],
          ${current[4]}::text[], ${current[5]}::bigint[]) v (account_id, session_id, node, dialect, address, since)
        where exists (select 1 from accounts a where a.id = v.account_id)
        on conflict (account_id) do update set session_id = excluded.session_id, node = excluded.node, dialect = excluded.dialect,
          address = excluded.address, since = excluded.since
        where signins.since <= excluded.since`.execute(trx);
    });
  };
}

/** Appends one row's values to the columns of `columns`. */
function push<T extends unknown[][]>(columns: T, ...values: { [K in keyof T]: T[K][number] }): void {
  for (const [i, column] of columns.entries()) column.push(values[i]);
}
