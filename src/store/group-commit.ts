import { CompiledQuery, type Kysely } from 'kysely';
import type { StoreTx } from '../core/store.ts';
import type { Database } from './schema.ts';

/** Transactions committed together at most (a bound on how long one batch holds the write lock). */
const MAX_BATCH = 64;

interface Queued {
  fn: (conn: Kysely<Database>) => Promise<unknown>;
  /** False for bookkeeping that no client was told is committed (the sign-in records). */
  durable: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

// Compiled once: each batch runs several of them, and building and compiling a statement costs
// more in kysely than SQLite takes to run it.
const control = (text: string) => CompiledQuery.raw(text, []);
const BEGIN = control('begin immediate');
const COMMIT = control('commit');
const ROLLBACK = control('rollback');
const SAVEPOINT = control('savepoint grouped');
const RELEASE = control('release grouped');
const ROLLBACK_TO = control('rollback to grouped');
const RELAXED = control('pragma synchronous = NORMAL');
const DURABLE = control('pragma synchronous = FULL');

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit for SQLite, where one connection runs transactions one at a time and each COMMIT
 * costs an fsync: the transactions asked for while the event loop was busy run together in one
 * BEGIN IMMEDIATE … COMMIT, each in a savepoint of its own, so that one that fails undoes only its
 * own writes. Every caller is answered only after that COMMIT returned: no reply precedes the
 * commit of its change, and one fsync serves the whole batch. A batch starts on setImmediate, after
 * the socket reads of the current loop turn have queued their transactions.
 */
export class GroupCommit {
  private readonly queue: Queued[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly txOn: (conn: Kysely<Database>) => StoreTx,
  ) {}

  run<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.runOn((conn) => fn(this.txOn(conn)), true);
  }

  /**
   * `fn` on the batch's connection. A batch of only non-durable work commits without the fsync
   * (synchronous NORMAL: a power cut may lose it, never half of it; the next durable commit syncs
   * it too); one durable item makes the whole batch durable.
   */
  runOn<T>(fn: (conn: Kysely<Database>) => Promise<T>, durable: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, durable, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.commitBatch(this.queue.splice(0, MAX_BATCH));
    } finally {
      this.scheduled = false;
    }
  }

  private async commitBatch(batch: Queued[]): Promise<void> {
    const outcomes: Outcome[] = [];
    let commitError: { error: unknown } | undefined;
    try {
      const relaxed = batch.every((item) => !item.durable);
      await this.db.connection().execute(async (conn) => {
        // SQLite refuses to change the level inside a transaction: around it, and always back to FULL.
        if (relaxed) await conn.executeQuery(RELAXED);
        try {
          await conn.executeQuery(BEGIN);
          try {
            // One transaction alone needs no savepoint: its failure undoes the whole, which is its own.
            if (batch.length === 1) outcomes.push(await this.alone(conn, batch[0]!));
            else for (const item of batch) outcomes.push(await this.inSavepoint(conn, item));
            await conn.executeQuery(outcomes[0]!.ok || batch.length > 1 ? COMMIT : ROLLBACK);
          } catch (err) {
            await conn.executeQuery(ROLLBACK).catch(() => {});
            throw err;
          }
        } finally {
          if (relaxed) await conn.executeQuery(DURABLE);
        }
      });
    } catch (error) {
      commitError = { error };
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      // A transaction that failed on its own keeps its own error; the others share the batch's fate.
      if (outcome && !outcome.ok) item.reject(outcome.error);
      else if (commitError) item.reject(commitError.error);
      else item.resolve(outcome!.value);
    });
  }

  private async alone(conn: Kysely<Database>, item: Queued): Promise<Outcome> {
    try {
      return { ok: true, value: await item.fn(conn) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private async inSavepoint(conn: Kysely<Database>, item: Queued): Promise<Outcome> {
    await conn.executeQuery(SAVEPOINT);
    try {
      const value = await item.fn(conn);
      await conn.executeQuery(RELEASE);
      return { ok: true, value };
    } catch (error) {
      await conn.executeQuery(ROLLBACK_TO);
      await conn.executeQuery(RELEASE);
      return { ok: false, error };
    }
  }
}
