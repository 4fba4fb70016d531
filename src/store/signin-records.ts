// The sign-in records of `msnd user show` and `msnd status` (admin.ts), written at every sign-in and
// sign-out: compiled once per engine (prepared.ts); on PostgreSQL the sign-in in one statement, on
// SQLite the records of many sessions in one transaction (QueuedSignIns).
import type { Kysely, QueryCreator } from 'kysely';
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
 * several servers sharing one data directory).
 */
const currentSignIn = prepared((db, _engine, ...args: SignInArgs) => {
  const { account_id, ...row } = signInRow(...args);
  return db
    .insertInto('signins')
    .values({ account_id, ...row })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(row).where('signins.since', '<=', row.since));
});

const touchAccount = (db: QueryCreator<Database>, accountId: number, since: number, address: string) =>
  db.updateTable('accounts').set({ last_signin_at: since, last_signin_address: address }).where('id', '=', accountId);

/** SQLite: the account's last sign-in, unless a later one is recorded already (as currentSignIn). */
const lastSignIn = prepared((db, _engine, accountId: number, since: number, address: string) =>
  touchAccount(db, accountId, since, address).where((eb) => eb.or([eb('last_signin_at', 'is', null), eb('last_signin_at', '<=', since)])),
);

/** PostgreSQL: the account's last sign-in and the current one in one statement (a data-modifying CTE). */
const bothInOne = prepared((db, _engine, ...args: SignInArgs) => {
  const [accountId, , , , address, since] = args;
  const { account_id, ...row } = signInRow(...args);
  return db
    .with('touched', (cte) => touchAccount(cte, accountId, since, address).returning('id'))
    .insertInto('signins')
    .values({ account_id, ...row })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(row));
});

const forgetSession = prepared((db, _engine, accountId: number, sessionId: string) =>
  db.deleteFrom('signins').where('account_id', '=', accountId).where('session_id', '=', sessionId),
);

/** Writes one sign-in: on PostgreSQL in one statement, on SQLite in two (`db`: a transaction there), as QueuedSignIns does. */
export async function writeSignIn(db: Kysely<Database>, engine: Engine, accountId: number, signIn: SignIn): Promise<void> {
  const args: SignInArgs = [accountId, signIn.sessionId, signIn.node, signIn.dialect, signIn.address, signIn.since];
  if (engine.kind === 'postgres') {
    await bothInOne(db, engine, ...args);
    return;
  }
  await lastSignIn(db, engine, accountId, signIn.since, signIn.address);
  await currentSignIn(db, engine, ...args);
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
 * PostgreSQL: each record written at once, after the account's record before it (the caller does
 * not wait for the sign-in's: without this, a sign-out could be written before its own sign-in).
 */
export class ImmediateSignIns implements SignInRecords {
  private readonly last = new Map<number, Promise<void>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: Engine,
  ) {}

  signIn(accountId: number, signIn: SignIn): Promise<void> {
    return this.after(accountId, () => writeSignIn(this.db, this.engine, accountId, signIn));
  }

  signOut(accountId: number, sessionId: string): Promise<void> {
    return this.after(accountId, () => forgetSession(this.db, this.engine, accountId, sessionId).then(() => {}));
  }

  async flush(): Promise<void> {
    await Promise.allSettled(this.last.values());
  }

  private after(accountId: number, write: () => Promise<void>): Promise<void> {
    const written = (this.last.get(accountId) ?? Promise.resolve()).catch(() => {}).then(write);
    this.last.set(accountId, written);
    const forget = () => {
      if (this.last.get(accountId) === written) this.last.delete(accountId);
    };
    written.then(forget, forget);
    return written;
  }
}

/**
 * What one account's records since the last flush leave to write: the sessions signed out (their
 * row goes if it still holds them), its last sign-in, the session to record as current and whether
 * it has ended since (its row written, replacing an older one, then deleted: as if written at once).
 */
interface AccountRecords {
  forget: string[];
  last?: { since: number; address: string };
  currentEnded?: boolean;
  current?: SignIn;
  settle: { resolve(): void; reject(err: unknown): void }[];
}

/** At most this long between a record and its write (see QueuedSignIns). */
const SIGN_IN_FLUSH_MS = 50;
/** A flush starts at once when this many accounts wait (a bound on one transaction's length). */
const MAX_ACCOUNTS_PER_FLUSH = 256;

/**
 * SQLite: the records of every sign-in and sign-out of the last SIGN_IN_FLUSH_MS written in one
 * group-committed transaction without an fsync (runOn's non-durable work), instead of one each
 * (6 statements a sign-in, 5 a sign-out). No client waits on them; this process's readers of the
 * records flush first (KyselyAdmin), so only another process (`msnd status`, `msnd user show`,
 * the kick's wait) sees them late, by at most 50 ms: less than such a command takes to start.
 * At ~500 sign-ins a second, one transaction carries some 25 sign-ins and their sign-outs.
 */
export class QueuedSignIns implements SignInRecords {
  private pending = new Map<number, AccountRecords>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly engine: Engine,
    private readonly write: (fn: (db: Kysely<Database>) => Promise<void>) => Promise<void>,
  ) {}

  signIn(accountId: number, signIn: SignIn): Promise<void> {
    return this.queue(accountId, (records) => {
      records.currentEnded = false;
      records.last = { since: signIn.since, address: signIn.address };
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
    this.writing = this.writing.then(() => (batch.size > 0 ? this.writeBatch(batch) : undefined));
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

  private async writeBatch(batch: Map<number, AccountRecords>): Promise<void> {
    const settles = [...batch.values()].flatMap((records) => records.settle);
    try {
      await this.write(async (db) => {
        for (const [accountId, records] of batch) await this.writeAccount(db, accountId, records);
      });
    } catch (err) {
      for (const settle of settles) settle.reject(err);
      return;
    }
    for (const settle of settles) settle.resolve();
  }

  private async writeAccount(
    db: Kysely<Database>,
    accountId: number,
    { forget, last, current, currentEnded }: AccountRecords,
  ): Promise<void> {
    for (const sessionId of forget) await forgetSession(db, this.engine, accountId, sessionId);
    if (last) await lastSignIn(db, this.engine, accountId, last.since, last.address);
    if (current) {
      const { sessionId, node, dialect, address, since } = current;
      await currentSignIn(db, this.engine, accountId, sessionId, node, dialect, address, since);
      if (currentEnded) await forgetSession(db, this.engine, accountId, sessionId);
    }
  }
}
