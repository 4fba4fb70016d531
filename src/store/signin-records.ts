// The sign-in records of `msnd user show` and `msnd status` (admin.ts), written at every sign-in and
// sign-out: compiled once per engine (prepared.ts), and on PostgreSQL the sign-in in one statement.
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

const upsertSignIn = (db: QueryCreator<Database>, ...args: SignInArgs) => {
  const { account_id, ...row } = signInRow(...args);
  return db
    .insertInto('signins')
    .values({ account_id, ...row })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(row));
};

const touchAccount = (db: QueryCreator<Database>, accountId: number, since: number, address: string) =>
  db.updateTable('accounts').set({ last_signin_at: since, last_signin_address: address }).where('id', '=', accountId);

const lastSignIn = prepared((db, _engine, accountId: number, since: number, address: string) =>
  touchAccount(db, accountId, since, address),
);

const currentSignIn = prepared((db, _engine, ...args: SignInArgs) => upsertSignIn(db, ...args));

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

const signOut = prepared((db, _engine, accountId: number, sessionId: string) =>
  db.deleteFrom('signins').where('account_id', '=', accountId).where('session_id', '=', sessionId),
);

/** Writes the sign-in on `db`: a connection, or a transaction on SQLite (two statements there). */
export async function writeSignIn(db: Kysely<Database>, engine: Engine, accountId: number, signIn: SignIn): Promise<void> {
  const args: SignInArgs = [accountId, signIn.sessionId, signIn.node, signIn.dialect, signIn.address, signIn.since];
  if (engine.kind === 'postgres') {
    await bothInOne(db, engine, ...args);
    return;
  }
  await lastSignIn(db, engine, accountId, signIn.since, signIn.address);
  await currentSignIn(db, engine, ...args);
}

export async function writeSignOut(db: Kysely<Database>, engine: Engine, accountId: number, sessionId: string): Promise<void> {
  await signOut(db, engine, accountId, sessionId);
}
