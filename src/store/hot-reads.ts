// The reads of every sign-in (and of presence), compiled once per engine, their rows made straight
// into what the store returns (prepared.ts).
import { type Kysely, sql } from 'kysely';
import type { ContactWithFacts, ListsAtOnce } from '../core/store.ts';
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

/** An owner's contact records `c`, each with the contact's account `a`. */
const contactsJoined = (db: Kysely<Database>, ownerId: number) =>
  db.selectFrom('contacts as c').innerJoin('accounts as a', 'a.id', 'c.contact_id').where('c.owner_id', '=', ownerId);

const contactRows = (db: Kysely<Database>, ownerId: number) => contactsJoined(db, ownerId).select(CONTACT_COLUMNS);

/** A selection's column without its alias (`r.al as r_al` is `r.al`), as a reference. */
const columnRef = (selection: string) => sql.ref(selection.split(' as ')[0]!);

/** The values of the row selected as `selections`, as one JSON array in their order. */
const valuesAsJson = (selections: readonly string[]) => sql`json_build_array(${sql.join(selections.map(columnRef))})`;

/**
 * The contacts of `c` (joined with their accounts `a` and their own records `r` of the owner) as one
 * JSON array of their values (CONTACT_COLUMNS, FACT_COLUMNS), in list order; `[]` for none. One
 * value instead of 320: better-sqlite3 making each value of 20 rows a JavaScript value took two
 * thirds of the statement's time (a micro-benchmark of a 20-contact list: 43 µs as rows, 27 as one
 * JSON text parsed). `order by` inside the aggregate needs SQLite 3.44, which better-sqlite3 bundles.
 */
const contactsWithFactsAsJson = (engine: Engine) => {
  const columns = [...CONTACT_COLUMNS, ...FACT_COLUMNS];
  return engine.kind === 'sqlite'
    ? sql<ContactsJson>`json_group_array(json_array(${sql.join(columns.map(columnRef))}) order by c.seq, c.contact_id)`
    : sql<ContactsJson>`coalesce(json_agg(${valuesAsJson(columns)} order by c.seq, c.contact_id), '[]')`;
};

/** SQLite's JSON is text; pg parses PostgreSQL's json itself. */
type ContactsJson = string | ContactWithFactsValues[];

const contactsOfJson = (contacts: ContactsJson | null | undefined): ContactWithFactsValues[] =>
  typeof contacts === 'string' ? (JSON.parse(contacts) as ContactWithFactsValues[]) : (contacts ?? []);

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

const contactsWithFactsJson = preparedValues(
  (db, engine, ownerId: number) =>
    contactsJoined(db, ownerId)
      .leftJoin('contacts as r', (join) => join.onRef('r.owner_id', '=', 'c.contact_id').on('r.contact_id', '=', ownerId))
      .select(contactsWithFactsAsJson(engine).as('contacts')),
  ([contacts]: [ContactsJson]) => contacts,
);

/** An owner's contacts with their facts, in list order (an aggregate: one row, whatever the number). */
export async function contactsWithFactsOf(db: Kysely<Database>, engine: Engine, ownerId: number): Promise<ContactWithFacts[]> {
  const [contacts] = await contactsWithFactsJson(db, engine, ownerId);
  return contactsOfJson(contacts).map(contactWithFactsOf);
}

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

interface ListsAtOnceRow {
  account: AccountValues;
  /** Never null (an aggregate's subquery has one row, coalesced), as kysely cannot know. */
  contacts: ContactsJson | null;
  groups: [id: number, name: string][] | null;
}

/**
 * PostgreSQL: the account, its contacts with their facts and its groups in one statement, which sees
 * one state by itself (SYN's snapshot in one round trip, where a REPEATABLE READ transaction took
 * four: BEGIN, the account, the contacts, COMMIT). Each row comes as a JSON array of its values in
 * the order of the columns the other reads select, so that the same functions make them into what
 * those reads return (json keeps booleans, numbers and text as pg's own parsers give them).
 */
export const listsAtOnce = prepared((db, engine, id: number) =>
  db
    .selectFrom('accounts as o')
    .select((eb) => [
      sql<AccountValues>`json_build_array(${sql.join(ACCOUNT_COLUMNS.map((column) => sql.ref(`o.${column}`)))})`.as('account'),
      eb
        .selectFrom('contacts as c')
        .innerJoin('accounts as a', 'a.id', 'c.contact_id')
        .leftJoin('contacts as r', (join) => join.onRef('r.owner_id', '=', 'c.contact_id').onRef('r.contact_id', '=', 'o.id'))
        .whereRef('c.owner_id', '=', 'o.id')
        .select(contactsWithFactsAsJson(engine).as('contacts'))
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
    contacts: contactsOfJson(row.contacts).map(contactWithFactsOf),
    groups: (row.groups ?? []).map(([id, name]) => ({ id, name })),
  };
}
