// The reads of every sign-in (and of presence), compiled once per engine (prepared.ts).
import type { Kysely } from 'kysely';
import { ACCOUNT_COLUMNS } from './account-rows.ts';
import type { Engine } from './engine.ts';
import { prepared } from './prepared.ts';
import type { Database } from './schema.ts';

const accounts = (db: Kysely<Database>) => db.selectFrom('accounts').select(ACCOUNT_COLUMNS);

const contactRows = (db: Kysely<Database>, ownerId: number) =>
  db
    .selectFrom('contacts as c')
    .innerJoin('accounts as a', 'a.id', 'c.contact_id')
    .select(['c.contact_id', 'a.handle', 'c.name', 'c.fl', 'c.al', 'c.bl', 'c.rl', 'c.group_ids'])
    .where('c.owner_id', '=', ownerId);

export const accountById = prepared((db, _engine, id: number) => accounts(db).where('id', '=', id));

/** `handle` in lower case. */
export const accountByHandle = prepared((db, _engine, handle: string) => accounts(db).where('handle', '=', handle));

/** `handle` in lower case. */
export const credentialsByHandle = prepared((db, _engine, handle: string) =>
  db
    .selectFrom('accounts')
    .select([...ACCOUNT_COLUMNS, 'secret_enc'])
    .where('handle', '=', handle),
);

export const contactsOf = prepared((db, _engine, ownerId: number) => contactRows(db, ownerId).orderBy('c.seq').orderBy('c.contact_id'));

export const contactsWithFactsOf = prepared((db, _engine, ownerId: number) =>
  contactRows(db, ownerId)
    .leftJoin('contacts as r', (join) => join.onRef('r.owner_id', '=', 'c.contact_id').on('r.contact_id', '=', ownerId))
    .select(['a.blp', 'a.phh', 'a.phw', 'a.phm', 'a.mob', 'a.mbe', 'r.al as r_al', 'r.bl as r_bl'])
    .orderBy('c.seq')
    .orderBy('c.contact_id'),
);

export const watchersOf = prepared((db, engine: Engine, ownerId: number) =>
  db
    .selectFrom('contacts as c')
    .innerJoin('accounts as a', 'a.id', 'c.contact_id')
    .select(['a.handle', 'c.al', 'c.bl'])
    .where('c.owner_id', '=', ownerId)
    .where('c.rl', '=', engine.flag(true)),
);

export const anyPendingAlert = prepared((db) => db.selectFrom('pending_alerts').select('account_id').limit(1));
