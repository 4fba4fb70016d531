import { Migrator, sql, type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Engine, EngineKind } from './engine.ts';
import { createBatchEditFunction } from './pg-list-batch.ts';
import { createListEditFunctions } from './pg-list-edits.ts';
import { createLockedEditFunctions } from './pg-list-locked.ts';

/** A schema step; `kind` is there for the few column definitions the engines spell differently. */
export interface MsndMigration {
  up(db: Kysely<any>, kind: EngineKind): Promise<void>;
}

/**
 * Every schema step, oldest first; the schema version is the number of steps applied. Names sort
 * in order (kysely applies them by name). Never edit a released step: add the next one.
 */
export const migrations: Readonly<Record<string, MsndMigration>> = {
  '0001_initial': { up: createInitialSchema },
  '0002_services': { up: createServicesSchema },
  '0003_groups': { up: createGroupsSchema },
  '0004_mailboxes': { up: createMailboxesSchema },
  '0005_admin': { up: createAdminSchema },
  // PostgreSQL: ADD and REM as server-side functions, one round trip each (pg-list-edits.ts).
  '0006_list_edits': { up: async (db, kind) => (kind === 'postgres' ? createListEditFunctions(db) : undefined) },
  // PostgreSQL: concurrent ADDs and REMs committed together, one statement per batch (pg-list-batch.ts).
  '0007_list_edit_batches': { up: async (db, kind) => (kind === 'postgres' ? createBatchEditFunction(db) : undefined) },
  // PostgreSQL: the batch's changes without a second lock and with fewer statements each (pg-list-locked.ts).
  '0008_locked_list_edits': { up: async (db, kind) => (kind === 'postgres' ? createLockedEditFunctions(db) : undefined) },
};

export const LATEST_SCHEMA_VERSION = Object.keys(migrations).length;

export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`data directory was written by a newer msnd (schema ${found}, this build knows ${known})`);
    this.name = 'SchemaTooNewError';
  }
}

/** `msnd user …` and the other tools open only an existing store; only `serve` or `--init` make one. */
export class NoStoreError extends Error {
  constructor(
    readonly where: string,
    kind: 'sqlite' | 'postgres' = 'sqlite',
  ) {
    super(
      kind === 'sqlite'
        ? `no msnd data in ${where} — start \`msnd serve --data ${where}\` once, or pass --init`
        : `no msnd data in ${where} — start \`msnd serve --store URL\` once, or pass --init`,
    );
    this.name = 'NoStoreError';
  }
}

/** Refuses a database from a newer msnd without touching it; otherwise applies the missing steps. */
export async function migrateToLatest(
  db: Kysely<any>,
  engine: Engine,
  steps: Readonly<Record<string, MsndMigration>> = migrations,
): Promise<void> {
  const latest = Object.keys(steps).length;
  const found = await readSchemaVersion(db, engine);
  if (found > latest) throw new SchemaTooNewError(found, latest);
  if (found === latest) return;
  const migrator = new Migrator({
    db,
    provider: versionedProvider(steps, engine.kind),
    migrationTableSchema: await engine.migrationTableSchema(db),
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    throw error instanceof Error ? error : new Error(`database migration failed: ${String(error)}`);
  }
}

export async function readSchemaVersion(db: Kysely<any>, engine: Engine): Promise<number> {
  if (!(await engine.tableExists(db, 'msnd_meta'))) return 0;
  const { rows } = await sql<{ value: string }>`select value from msnd_meta where key = 'schema_version'`.execute(db);
  const version = Number(rows[0]?.value ?? 0);
  if (!Number.isInteger(version)) throw new Error(`msnd_meta.schema_version is not a number`);
  return version;
}

// Each step records its own number in the same transaction as its DDL.
function versionedProvider(steps: Readonly<Record<string, MsndMigration>>, kind: EngineKind): MigrationProvider {
  const entries = Object.entries(steps).map(([name, step], index): [string, Migration] => [
    name,
    {
      up: async (db) => {
        await step.up(db, kind);
        await writeSchemaVersion(db, index + 1);
      },
    },
  ]);
  return { getMigrations: async () => Object.fromEntries(entries) };
}

async function writeSchemaVersion(db: Kysely<any>, version: number): Promise<void> {
  await sql`insert into msnd_meta (key, value) values ('schema_version', ${String(version)})
            on conflict (key) do update set value = excluded.value`.execute(db);
}

async function createInitialSchema(db: Kysely<any>, kind: EngineKind): Promise<void> {
  await db.schema
    .createTable('msnd_meta')
    .addColumn('key', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('value', 'text', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'integer', (col) =>
      // AUTOINCREMENT / identity: a member id is never handed out twice, even after a deletion.
      kind === 'sqlite' ? col.primaryKey().autoIncrement() : col.primaryKey().generatedByDefaultAsIdentity(),
    )
    .addColumn('handle', 'text', (col) => col.notNull().unique())
    .addColumn('friendly_name', 'text', (col) => col.notNull())
    .addColumn('secret_enc', 'text', (col) => col.notNull())
    .addColumn('verified', 'boolean', (col) => col.notNull())
    .addColumn('kid', 'boolean', (col) => col.notNull())
    .addColumn('list_version', 'bigint', (col) => col.notNull())
    .addColumn('gtc', 'text', (col) => col.notNull())
    .addColumn('blp', 'text', (col) => col.notNull())
    .addColumn('phh', 'text', (col) => col.notNull())
    .addColumn('phw', 'text', (col) => col.notNull())
    .addColumn('phm', 'text', (col) => col.notNull())
    .addColumn('mob', 'text', (col) => col.notNull())
    .addColumn('mbe', 'text', (col) => col.notNull())
    .addColumn('lang_preference', 'integer', (col) => col.notNull())
    .addColumn('preferred_email', 'text', (col) => col.notNull())
    .addColumn('country', 'text', (col) => col.notNull())
    .addColumn('postal_code', 'text', (col) => col.notNull())
    .addColumn('gender', 'text', (col) => col.notNull())
    .addColumn('age', 'text', (col) => col.notNull())
    .addColumn('bday_pre', 'text', (col) => col.notNull())
    .addColumn('birthday', 'text', (col) => col.notNull())
    .addColumn('wallet', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addCheckConstraint('accounts_list_version', sql`list_version between 1 and 4294967295`)
    .addCheckConstraint('accounts_gtc', sql`gtc in ('A', 'N')`)
    .addCheckConstraint('accounts_blp', sql`blp in ('AL', 'BL')`)
    .addCheckConstraint('accounts_mob', sql`mob in ('Y', 'N')`)
    .addCheckConstraint('accounts_mbe', sql`mbe in ('Y', 'N')`)
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('owner_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('contact_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('fl', 'boolean', (col) => col.notNull())
    .addColumn('al', 'boolean', (col) => col.notNull())
    .addColumn('bl', 'boolean', (col) => col.notNull())
    .addColumn('rl', 'boolean', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('group_ids', 'text', (col) => col.notNull())
    .addColumn('seq', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('contacts_pk', ['owner_id', 'contact_id'])
    .execute();

  // Deleting an account and mirroring RL look records up by contact.
  await db.schema.createIndex('contacts_by_contact').on('contacts').column('contact_id').execute();
}

/** The member directory, alerts (NOT) and the outbox of e-mails and pages (MSNP5.md 9.17–9.21). */
async function createServicesSchema(db: Kysely<any>, kind: EngineKind): Promise<void> {
  const identity = (col: ColumnDefinitionBuilder) =>
    kind === 'sqlite' ? col.primaryKey().autoIncrement() : col.primaryKey().generatedByDefaultAsIdentity();
  const required = (col: ColumnDefinitionBuilder) => col.notNull();

  let directory = db.schema
    .createTable('directory')
    .addColumn('account_id', 'integer', (col) => col.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('listed', 'boolean', (col) => col.notNull());
  for (const field of ['first_name', 'last_name', 'city', 'state', 'country']) directory = directory.addColumn(field, 'text', required);
  for (const field of ['first', 'last', 'city', 'state', 'country']) directory = directory.addColumn(`${field}_key`, 'text', required);
  await directory.execute();
  await db.schema.createIndex('directory_by_name').on('directory').columns(['last_key', 'first_key']).execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'integer', identity)
    .addColumn('text', 'text', required)
    .addColumn('url', 'text', required)
    .addColumn('created_at', 'bigint', required)
    .execute();

  await db.schema
    .createTable('pending_alerts')
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('alert_id', 'integer', (col) => col.notNull().references('alerts.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('pending_alerts_pk', ['account_id', 'alert_id'])
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'integer', identity)
    .addColumn('kind', 'text', required)
    .addColumn('recipient', 'text', required)
    .addColumn('sender', 'text', required)
    .addColumn('subject', 'text', required)
    .addColumn('body', 'text', required)
    .addColumn('callback', 'text', required)
    .addColumn('created_at', 'bigint', required)
    .addColumn('due_at', 'bigint')
    .addColumn('sent_at', 'bigint')
    .addColumn('attempts', 'integer', required)
    .addColumn('last_error', 'text', required)
    .addCheckConstraint('outbox_kind', sql`kind in ('email', 'page')`)
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').column('due_at').execute();
}

/**
 * MSNP7 contact groups (MSNP5.md 9.29): every account gets group 0, and FL records without a
 * group are put in it, so that MSNP7 clients see the same FL as older ones.
 */
async function createGroupsSchema(db: Kysely<any>, kind: EngineKind): Promise<void> {
  await db.schema
    .createTable('contact_groups')
    .addColumn('account_id', 'integer', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('group_id', 'integer', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('contact_groups_pk', ['account_id', 'group_id'])
    .addCheckConstraint('contact_groups_id', sql`group_id between 0 and 29`)
    .execute();
  // The name as written on the wire; this step keeps the default of its own release.
  await sql`insert into contact_groups (account_id, group_id, name) select id, 0, 'Other%20Contacts' from accounts`.execute(db);
  const onFl = kind === 'sqlite' ? sql`fl = 1` : sql`fl = true`;
  await sql`update contacts set group_ids = '0' where ${onFl} and group_ids = ''`.execute(db);
}

/** Unread-mail counts the operator's mail system reports, for the initial e-mail notification (MSNP5.md 12.2). */
async function createMailboxesSchema(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mailboxes')
    .addColumn('account_id', 'integer', (col) => col.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('inbox_unread', 'integer', (col) => col.notNull())
    .addColumn('folders_unread', 'integer', (col) => col.notNull())
    .addCheckConstraint('mailboxes_counts', sql`inbox_unread >= 0 and folders_unread >= 0`)
    .execute();
}

/**
 * Administration (issue 13): disabled accounts and the admin role, the last sign-in, when the
 * account's sessions were last ended by an operator; the audit log; the notices that carry an
 * operator's action to the node holding the session; and each running node's report (msnd status).
 */
async function createAdminSchema(db: Kysely<any>, kind: EngineKind): Promise<void> {
  const no = kind === 'sqlite' ? sql`0` : sql`false`;
  const identity = (col: ColumnDefinitionBuilder) =>
    kind === 'sqlite' ? col.primaryKey().autoIncrement() : col.primaryKey().generatedByDefaultAsIdentity();
  const steps = [
    db.schema.alterTable('accounts').addColumn('disabled', 'boolean', (col) => col.notNull().defaultTo(no)),
    db.schema.alterTable('accounts').addColumn('disabled_reason', 'text', (col) => col.notNull().defaultTo('')),
    db.schema.alterTable('accounts').addColumn('admin', 'boolean', (col) => col.notNull().defaultTo(no)),
    db.schema.alterTable('accounts').addColumn('last_signin_at', 'bigint'),
    db.schema.alterTable('accounts').addColumn('last_signin_address', 'text', (col) => col.notNull().defaultTo('')),
    db.schema.alterTable('accounts').addColumn('sessions_ended_at', 'bigint', (col) => col.notNull().defaultTo(0)),
  ];
  for (const step of steps) await step.execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'integer', identity)
    .addColumn('at', 'bigint', (col) => col.notNull())
    .addColumn('actor', 'text', (col) => col.notNull())
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target', 'text', (col) => col.notNull())
    .addColumn('detail', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();

  await db.schema
    .createTable('session_notices')
    .addColumn('id', 'integer', identity)
    .addColumn('handle', 'text', (col) => col.notNull())
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('signins')
    .addColumn('account_id', 'integer', (col) => col.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('session_id', 'text', (col) => col.notNull())
    .addColumn('node', 'text', (col) => col.notNull())
    .addColumn('dialect', 'text', (col) => col.notNull())
    .addColumn('address', 'text', (col) => col.notNull())
    .addColumn('since', 'bigint', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('signins_by_node').on('signins').column('node').execute();

  await db.schema
    .createTable('nodes')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('report', 'text', (col) => col.notNull())
    .addColumn('seen_at', 'bigint', (col) => col.notNull())
    .execute();
}
