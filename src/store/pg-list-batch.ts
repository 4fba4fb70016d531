// Group commit of ADD and REM on PostgreSQL: the changes asked for while batches are being
// committed go together in the next one, one statement and one transaction, and each caller is
// answered only after that commit. One change alone is a batch of one.
// Per change, a batch of 16 costs the PostgreSQL backend about a third of the CPU of 16 single
// calls (commit, transaction start, statement set-up shared); that CPU, not the round trips, is
// what held list changes at a quarter of the raw commit rate (issue 15).
import { sql, type Kysely } from 'kysely';
import type { Outcome } from '../core/failure.ts';
import type { ContactAdd, ContactAdded, ContactRemove, ContactRemoved } from '../core/list-edits.ts';
import { ServiceUnavailableError } from '../core/unavailable.ts';
import { addedFrom, type AddRow, type RemoveRow, removedFrom } from './pg-list-edits.ts';
import type { Database } from './schema.ts';

/** Changes in one batch at most (a bound on how long one transaction holds its accounts' locks). */
const MAX_BATCH = 64;
/**
 * Batches being committed at once. A batch waits mostly on the WAL flush (pg_stat_activity during
 * bench lists: WALWrite and WALSync); a second one gathers and runs meanwhile, and their flushes
 * can share one fsync. Two measured 0.31-0.36× raw against 0.14-0.17× for one; four made smaller
 * batches, each costing more CPU per change.
 */
const MAX_IN_FLIGHT = 2;

// Every account a batch touches is locked first, in id order, in one statement: two batches (or a
// batch and one of 0006's single calls, which lock their two accounts the same way) cannot
// deadlock. The changes then run in the order they came, each seeing the ones before it. `add` and
// `remove` name the per-change functions: 0006's in 0007, pg-list-locked.ts's since 0008.
export function editContactsFunction(add: string, remove: string): string {
  return `
create or replace function msnd_edit_contacts(p_add boolean[], p_owner integer[], p_adder_name text[], p_list text[],
  p_handle text[], p_name text[], p_group integer[], p_fl_limit integer[], p_other_limit integer[])
returns table (item integer, status integer, version bigint, contact_id integer, handle text,
  phh text, phw text, phm text, mob text, mbe text,
  old_fl boolean, old_al boolean, old_bl boolean, old_rl boolean,
  fl boolean, al boolean, bl boolean, rl boolean, groups integer[],
  reverse bigint, blp text, viewer_on_al boolean, viewer_on_bl boolean, membership_only boolean, name text)
language plpgsql as $$
#variable_conflict use_column
begin
  perform 1 from accounts a where a.id = any (p_owner) or a.handle = any (p_handle) order by a.id for update;
  for i in 1 .. cardinality(p_add) loop
    if p_add[i] then
      return query select i, a.*, null::text from ${add}(p_owner[i], p_adder_name[i], p_list[i], p_handle[i], p_name[i],
        p_group[i], p_fl_limit[i], p_other_limit[i]) a;
    else
      return query select i, r.status, r.version, r.contact_id, r.handle, null::text, null::text, null::text, null::text, null::text,
        null::boolean, null::boolean, null::boolean, null::boolean, r.fl, r.al, r.bl, r.rl, r.groups, r.reverse,
        null::text, null::boolean, null::boolean, r.membership_only, r.name
        from ${remove}(p_owner[i], p_list[i], p_handle[i], p_group[i]) r;
    end if;
  end loop;
end $$
`;
}

// The same bump as 0006's, in PL/pgSQL: PostgreSQL plans a non-inlined SQL function's statement
// anew on every call, PL/pgSQL keeps the plan for the session (a fifth less backend CPU per change).
const BUMP_VERSION = `
create or replace function msnd_bump_version(p_id integer) returns bigint language plpgsql as $$
declare
  bumped bigint;
begin
  update accounts set list_version = case when list_version >= 4294967295 then 1 else list_version + 1 end
  where id = p_id returning list_version into bumped;
  return bumped;
end $$
`;

/** The migration step that creates the batch function (PostgreSQL only). */
export async function createBatchEditFunction(db: Kysely<any>): Promise<void> {
  for (const text of [BUMP_VERSION, editContactsFunction('msnd_add_contact', 'msnd_remove_contact')]) await sql.raw(text).execute(db);
}

type Change =
  | { kind: 'add'; req: ContactAdd; settle: Settle<ContactAdded> }
  | { kind: 'remove'; req: ContactRemove; settle: Settle<ContactRemoved> };

interface Settle<T> {
  resolve(value: Outcome<T>): void;
  reject(err: unknown): void;
}

type BatchRow = AddRow & RemoveRow & { item: number };

export class PostgresListBatches {
  private readonly queue: Change[] = [];
  private committing = 0;
  private scheduled = false;

  constructor(private readonly db: Kysely<Database>) {}

  add(req: ContactAdd): Promise<Outcome<ContactAdded>> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'add', req, settle: { resolve, reject } }));
  }

  remove(req: ContactRemove): Promise<Outcome<ContactRemoved>> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'remove', req, settle: { resolve, reject } }));
  }

  private enqueue(change: Change): void {
    this.queue.push(change);
    this.schedule();
  }

  /** On setImmediate: after the socket reads of this turn of the event loop have queued their changes. */
  private schedule(): void {
    if (this.scheduled || this.committing >= MAX_IN_FLIGHT) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  private start(): void {
    if (this.queue.length === 0 || this.committing >= MAX_IN_FLIGHT) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.committing++;
    void this.commit(batch).finally(() => {
      this.committing--;
      if (this.queue.length > 0) this.schedule();
    });
  }

  private async commit(batch: Change[]): Promise<void> {
    let rows: BatchRow[];
    try {
      rows = await this.run(batch);
    } catch (err) {
      // Nothing of the batch was committed. Store down, or one change alone: every change fails as
      // it would alone. Anything else (a deadlock with some other transaction, say): each change
      // again on its own.
      if (err instanceof ServiceUnavailableError || batch.length === 1) for (const change of batch) change.settle.reject(err);
      else await Promise.all(batch.map((change) => this.commit([change])));
      return;
    }
    if (rows.length !== batch.length || rows.some((row, i) => row.item !== i + 1)) {
      // Committed, but not answered one row per change: nothing to tell any caller but that.
      const err = new Error(`msnd_edit_contacts: ${rows.length} rows for ${batch.length} changes`);
      for (const change of batch) change.settle.reject(err);
      return;
    }
    batch.forEach((change, i) => {
      const row = rows[i]!;
      if (change.kind === 'add') change.settle.resolve(addedFrom(row, change.req));
      else change.settle.resolve(removedFrom(row));
    });
  }

  private async run(batch: Change[]): Promise<BatchRow[]> {
    const adds = batch.map((c) => (c.kind === 'add' ? c.req : undefined));
    const { rows } = await sql<BatchRow>`select * from msnd_edit_contacts(
      ${adds.map((a) => a !== undefined)}::boolean[],
      ${batch.map((c) => c.req.ownerId)}::integer[],
      ${adds.map((a) => a?.adderName ?? null)}::text[],
      ${batch.map((c) => c.req.list)}::text[],
      ${batch.map((c) => c.req.handle.toLowerCase())}::text[],
      ${adds.map((a) => a?.name ?? null)}::text[],
      ${batch.map((c) => c.req.group ?? null)}::integer[],
      ${adds.map((a) => a?.limits.forwardList ?? null)}::integer[],
      ${adds.map((a) => a?.limits.otherLists ?? null)}::integer[])`.execute(this.db);
    return rows;
  }
}
