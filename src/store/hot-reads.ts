// The reads of every sign-in (and of presence), compiled once per engine, their rows made straight
// into what the store returns (prepared.ts).
import { type Kysely, sql } from 'kysely';
import type { ListsAtOnce } from '../core/store.ts';
import { ACCOUNT_COLUMNS, type AccountValues, accountOf } from './account-rows.ts';
import {
  CONTACT_COLUMNS,
  type ContactWithFactsValues,
  FACT_COLUMNS,
  WATCHER_COLUMNS,
  contactEntryOf,
  contactWithFactsOf,
  watcherOf,
} from './contact-rows.ts';
import type { Engine } from './engine.ts';
import { prepared, preparedValues } from './prepared.ts';
import type { Database } from './schema.ts';

const accounts = (db: Kysely<Database>) => db.selectFrom('accounts').select(ACCOUNT_COLUMNS);

const contactRows = (db: Kysely<Database>, ownerId: number) =>
  db
    .selectFrom('contacts as c')
    .innerJoin('accounts as a', 'a.id', 'c.contact_id')
    .select(CONTACT_COLUMNS)
    .where('c.owner_id', '=', ownerId);

export const accountById = preparedValues((db, _engine, id: number) => accounts(db).where('id', '=', id), accountOf);

/** `handle` in lower case. */
export const accountByHandle = preparedValues((db, _engine, handle: string) => accounts(db).where('handle', '=', handle), accountOf);

/** `handle` in lower case. */
export const credentialsByHandle = preparedValues(
  (db, _engine, handle: string) =>
    db
      .selectFrom('accounts')
      .select([...ACCOUNT_COLUMNS, 'secret_enc'])
      .where('handle', '=', handle),
  (values: [...AccountValues, secretEnc: string]) => ({ account: accountOf(values), secretEnc: values[ACCOUNT_COLUMNS.length] }),
);

export const contactsOf = preparedValues(
  (db, _engine, ownerId: number) => contactRows(db, ownerId).orderBy('c.seq').orderBy('c.contact_id'),
  contactEntryOf,
);

export const contactsWithFactsOf = preparedValues(
  (db, _engine, ownerId: number) =>
    contactRows(db, ownerId)
      .leftJoin('contacts as r', (join) => join.onRef('r.owner_id', '=', 'c.contact_id').on('r.contact_id', '=', ownerId))
      .select(FACT_COLUMNS)
      .orderBy('c.seq')
      .orderBy('c.contact_id'),
  contactWithFactsOf,
);

export const watchersOf = preparedValues(
  (db, engine: Engine, ownerId: number) =>
    db
      .selectFrom('contacts as c')
      .innerJoin('accounts as a', 'a.id', 'c.contact_id')
      .select(WATCHER_COLUMNS)
      .where('c.owner_id', '=', ownerId)
      .where('c.rl', '=', engine.flag(true)),
  watcherOf,
);

export const anyPendingAlert = prepared((db) => db.selectFrom('pending_alerts').select('account_id').limit(1));

/** A selection's column without its alias (`r.al as r_al` is `r.al`), as a reference. */
const columnRef = (selection: string) => sql.ref(selection.split(' as ')[0]!);

/** The values of the row selected as `selections`, as one JSON array in their order. */
const valuesAsJson = (selections: readonly string[]) => sql`json_build_array(${sql.join(selections.map(columnRef))})`;

interface ListsAtOnceRow {
  account: AccountValues;
  /** Never null (an aggregate's subquery has one row, coalesced), as kysely cannot know. */
  contacts: ContactWithFactsValues[] | null;
  groups: [id: number, name: string][] | null;
}

/**
 * PostgreSQL: the account, its contacts with their facts and its groups in one statement, which sees
 * one state by itself (SYN's snapshot in one round trip, where a REPEATABLE READ transaction took
 * four: BEGIN, the account, the contacts, COMMIT). Each row comes as a JSON array of its values in
 * the order of the columns the other reads select, so that the same functions make them into what
 * those reads return (json keeps booleans, numbers and text as pg's own parsers give them).
 */
export const listsAtOnce = prepared((db, _engine, id: number) =>
  db
    .selectFrom('accounts as o')
    .select((eb) => [
      sql<AccountValues>`json_build_array(${sql.join(ACCOUNT_COLUMNS.map((column) => sql.ref(`o.${column}`)))})`.as('account'),
      eb
        .selectFrom('contacts as c')
        .innerJoin('accounts as a', 'a.id', 'c.contact_id')
        .leftJoin('contacts as r', (join) => join.onRef('r.owner_id', '=', 'c.contact_id').onRef('r.contact_id', '=', 'o.id'))
        .whereRef('c.owner_id', '=', 'o.id')
        .select(
          sql<
            ContactWithFactsValues[]
          >`coalesce(json_agg(${valuesAsJson([...CONTACT_COLUMNS, ...FACT_COLUMNS])} order by c.seq, c.contact_id), '[]')`.as('contacts'),
        )
        .as('contacts'),
      eb
        .selectFrom('contact_groups as g')
        .whereRef('g.account_id', '=', 'o.id')
        .select(sql<[number, string][]>`coalesce(json_agg(json_build_array(g.group_id, g.name) order by g.group_id), '[]')`.as('groups'))
        .as('groups'),
    ])
    .where('o.id', '=', id),
);

/** What listsAtOnce read, made as accountById, contactsWithFactsOf and StoreTx.groups make theirs; undefined: no such account. */
export function listsAtOnceOf(rows: readonly ListsAtOnceRow[]): ListsAtOnce | undefined {
  const [row] = rows;
  if (!row) return undefined;
  return {
    account: accountOf(row.account),
    contacts: (row.contacts ?? []).map(contactWithFactsOf),
    groups: (row.groups ?? []).map(([id, name]) => ({ id, name })),
  };
}
