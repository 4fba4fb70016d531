// The sign-in records of two nodes on one store, batched (QueuedSignIns): a batch written late never
// undoes the other node's newer record, a sign-out deletes its own session's row only, and an
// account removed while its record waits fails no one else's. Shared by the SQLite and PostgreSQL tests.
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import type { QueuedSignIns } from '../../src/store/signin-records.ts';

export interface TwoNodes {
  db: Kysely<Database>;
  /** the account whose records the nodes write */
  id: number;
  nodes: [QueuedSignIns, QueuedSignIns];
  /** another account, with no records yet, and its removal by someone else (another process, another node) */
  doomed: { id: number; remove(): Promise<void> };
}

/** `recordsOnly`: called once every step but the removal ran (the removal writes the store). */
export async function checkTwoNodesRecords({ db, id, nodes: [a, b], doomed }: TwoNodes, recordsOnly?: () => void): Promise<void> {
  const at = (sessionId: string, since: number) => ({ sessionId, node: sessionId, dialect: 'MSNP5', address: `10.0.0.${since}`, since });
  const stored = async () => ({
    row: await db.selectFrom('signins').select(['session_id', 'since']).where('account_id', '=', id).execute(),
    last: await db.selectFrom('accounts').select(['last_signin_at', 'last_signin_address']).where('id', '=', id).executeTakeFirstOrThrow(),
  });
  // b's newer sign-in is written first; a's sign-in and sign-out of before it come after.
  void b.signIn(id, at('s2', 200));
  await b.flush();
  void a.signIn(id, at('s1', 100));
  void a.signOut(id, 's1');
  await a.flush();
  assert.deepEqual(await stored(), {
    row: [{ session_id: 's2', since: 200 }],
    last: { last_signin_at: 200, last_signin_address: '10.0.0.200' },
  });
  void a.signIn(id, at('s3', 150));
  await a.flush();
  assert.deepEqual((await stored()).row, [{ session_id: 's2', since: 200 }]);
  // A sign-out deletes its own session's row only.
  void a.signOut(id, 's3');
  await a.flush();
  assert.deepEqual((await stored()).row, [{ session_id: 's2', since: 200 }]);
  // In one batch: b's s2 signed out, s4 signed in (kept), s0 of long ago signed out.
  void b.signOut(id, 's2');
  void b.signIn(id, at('s4', 300));
  void b.signOut(id, 's0');
  await b.flush();
  assert.deepEqual(await stored(), {
    row: [{ session_id: 's4', since: 300 }],
    last: { last_signin_at: 300, last_signin_address: '10.0.0.300' },
  });
  // A session signed in and out within one batch, over an older one: no row is left.
  void a.signIn(id, at('s5', 400));
  void a.signOut(id, 's5');
  await a.flush();
  assert.deepEqual(await stored(), { row: [], last: { last_signin_at: 400, last_signin_address: '10.0.0.400' } });
  recordsOnly?.();
  // An account removed before its sign-in is written gets no row, and fails no one else's.
  const signedIn = [a.signIn(doomed.id, at('s6', 500)), a.signIn(id, at('s7', 500))];
  await doomed.remove();
  await Promise.all(signedIn);
  assert.deepEqual((await stored()).row, [{ session_id: 's7', since: 500 }]);
  assert.deepEqual(await db.selectFrom('signins').select('account_id').where('account_id', '=', doomed.id).execute(), []);
}
