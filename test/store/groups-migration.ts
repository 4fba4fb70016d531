// Migration 0003 (MSNP7 groups) applied to a database of schema 2 that has data, on either engine.
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../src/store/engine.ts';
import { LATEST_SCHEMA_VERSION, migrateToLatest, migrations, readSchemaVersion } from '../../src/store/migrations.ts';

export async function checkGroupsMigration(db: Kysely<any>, engine: Engine): Promise<void> {
  const { '0001_initial': initial, '0002_services': services } = migrations;
  await migrateToLatest(db, engine, { '0001_initial': initial!, '0002_services': services! });
  assert.equal(await readSchemaVersion(db, engine), 2);
  const yes = engine.flag(true);
  const no = engine.flag(false);
  const account = (handle: string) => ({
    handle,
    friendly_name: handle,
    secret_enc: 'x',
    verified: yes,
    kid: no,
    list_version: 5,
    gtc: 'A',
    blp: 'AL',
    phh: '',
    phw: '',
    phm: '',
    mob: 'N',
    mbe: 'N',
    lang_preference: 1033,
    preferred_email: handle,
    country: '',
    postal_code: '',
    gender: '',
    age: '',
    bday_pre: '',
    birthday: '',
    wallet: '',
    created_at: 0,
  });
  const [a, b] = await db
    .insertInto('accounts')
    .values([account('a@example.com'), account('b@example.com')])
    .returning('id')
    .execute();
  const record = (owner: number, contact: number, fl: boolean, rl: boolean) => ({
    owner_id: owner,
    contact_id: contact,
    fl: engine.flag(fl),
    al: no,
    bl: no,
    rl: engine.flag(rl),
    name: 'n',
    group_ids: '',
    seq: 1,
  });
  await db
    .insertInto('contacts')
    .values([record(a!.id, b!.id, true, false), record(b!.id, a!.id, false, true)])
    .execute();

  await migrateToLatest(db, engine);

  assert.equal(await readSchemaVersion(db, engine), LATEST_SCHEMA_VERSION);
  const groups = await sql<{ account_id: number; group_id: number; name: string }>`
    select account_id, group_id, name from contact_groups order by account_id`.execute(db);
  assert.deepEqual(groups.rows, [
    { account_id: a!.id, group_id: 0, name: 'Other%20Contacts' },
    { account_id: b!.id, group_id: 0, name: 'Other%20Contacts' },
  ]);
  const contacts = await sql<{ owner_id: number; group_ids: string }>`
    select owner_id, group_ids from contacts order by owner_id`.execute(db);
  assert.deepEqual(contacts.rows, [
    { owner_id: a!.id, group_ids: '0' },
    { owner_id: b!.id, group_ids: '' },
  ]);
}
