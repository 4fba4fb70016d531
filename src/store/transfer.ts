// `msnd export` / `msnd import`: the whole store as JSON lines, read and written page by page.
import { type Kysely, sql } from 'kysely';
import { refreshPlannerStatistics } from './bulk-accounts.ts';
import type { StoreDatabase } from './open.ts';
import { LATEST_SCHEMA_VERSION } from './migrations.ts';
import { decryptSecret } from './secrets.ts';

/** Bumped when the shape of the lines changes; an import refuses a format it does not know. */
export const EXPORT_FORMAT = 1;
const PAGE_ROWS = 500;
/** Rows per INSERT on import: well under SQLite's 32,766 parameters with 24 columns. */
const INSERT_ROWS = 200;

type ColumnKind = 'int' | 'int?' | 'text' | 'bool';

interface TableSpec {
  name: string;
  /** Primary key columns: the export pages through the table in this order. */
  key: readonly string[];
  columns: Readonly<Record<string, ColumnKind>>;
  /** Its integer id comes from an identity/AUTOINCREMENT sequence, carried over by the export. */
  sequence?: boolean;
}

const text = (...names: string[]): Record<string, ColumnKind> => Object.fromEntries(names.map((n) => [n, 'text']));

/** Every table of the schema but msnd_meta, in an order that satisfies the foreign keys on import. */
export const EXPORTED_TABLES: readonly TableSpec[] = [
  {
    name: 'accounts',
    key: ['id'],
    sequence: true,
    columns: {
      id: 'int',
      ...text('handle', 'friendly_name', 'secret_enc'),
      verified: 'bool',
      kid: 'bool',
      list_version: 'int',
      ...text('gtc', 'blp', 'phh', 'phw', 'phm', 'mob', 'mbe'),
      lang_preference: 'int',
      ...text('preferred_email', 'country', 'postal_code', 'gender', 'age', 'bday_pre', 'birthday', 'wallet'),
      created_at: 'int',
      disabled: 'bool',
      disabled_reason: 'text',
      admin: 'bool',
      last_signin_at: 'int?',
      last_signin_address: 'text',
      sessions_ended_at: 'int',
    },
  },
  { name: 'contact_groups', key: ['account_id', 'group_id'], columns: { account_id: 'int', group_id: 'int', name: 'text' } },
  {
    name: 'contacts',
    key: ['owner_id', 'contact_id'],
    columns: {
      owner_id: 'int',
      contact_id: 'int',
      fl: 'bool',
      al: 'bool',
      bl: 'bool',
      rl: 'bool',
      ...text('name', 'group_ids'),
      seq: 'int',
    },
  },
  {
    name: 'directory',
    key: ['account_id'],
    columns: {
      account_id: 'int',
      listed: 'bool',
      ...text('first_name', 'last_name', 'city', 'state', 'country', 'first_key', 'last_key', 'city_key', 'state_key', 'country_key'),
    },
  },
  { name: 'mailboxes', key: ['account_id'], columns: { account_id: 'int', inbox_unread: 'int', folders_unread: 'int' } },
  { name: 'alerts', key: ['id'], sequence: true, columns: { id: 'int', ...text('text', 'url'), created_at: 'int' } },
  { name: 'pending_alerts', key: ['account_id', 'alert_id'], columns: { account_id: 'int', alert_id: 'int' } },
  {
    name: 'audit_log',
    key: ['id'],
    sequence: true,
    columns: { id: 'int', at: 'int', ...text('actor', 'action', 'target', 'detail') },
  },
  {
    name: 'outbox',
    key: ['id'],
    sequence: true,
    columns: {
      id: 'int',
      ...text('kind', 'recipient', 'sender', 'subject', 'body', 'callback'),
      created_at: 'int',
      due_at: 'int?',
      sent_at: 'int?',
      attempts: 'int',
      last_error: 'text',
    },
  },
];

type Row = Record<string, unknown>;

export interface ExportSummary {
  rows: number;
}

/**
 * Writes the store as JSON lines to `write`: a header, one line per row (table by table, in key
 * order, read PAGE_ROWS at a time), the id sequences, and a trailer with the row count, so that an
 * import can tell a complete stream from a cut one. The rows come from one snapshot (a read
 * transaction) taken without blocking a running server's writes. Secrets stay encrypted.
 */
export async function exportStore(store: StoreDatabase, write: (line: string) => Promise<void> | void): Promise<ExportSummary> {
  const line = (value: unknown) => write(`${JSON.stringify(value)}\n`);
  return store.db.connection().execute(async (conn) => {
    // SQLite: a deferred read transaction in WAL mode is a snapshot and never blocks a writer.
    await sql.raw(store.engine.kind === 'sqlite' ? 'begin' : 'begin transaction isolation level repeatable read, read only').execute(conn);
    try {
      await line({ msnd: 'export', format: EXPORT_FORMAT, schema: LATEST_SCHEMA_VERSION });
      let rows = 0;
      for (const table of EXPORTED_TABLES) {
        for await (const row of pages(conn as Kysely<any>, table)) {
          await line({ table: table.name, row: exportedRow(table, row) });
          rows += 1;
        }
      }
      for (const table of EXPORTED_TABLES.filter((t) => t.sequence)) {
        await line({ sequence: table.name, value: await sequenceValue(store, conn as Kysely<any>, table.name) });
      }
      await line({ end: true, rows });
      return { rows };
    } finally {
      await sql.raw('rollback').execute(conn);
    }
  });
}

async function* pages(db: Kysely<any>, table: TableSpec): AsyncGenerator<Row> {
  let last: unknown[] | undefined;
  for (;;) {
    let query = db.selectFrom(table.name).select(Object.keys(table.columns)).limit(PAGE_ROWS);
    for (const k of table.key) query = query.orderBy(k);
    if (last !== undefined) {
      const after = last;
      query = query.where(sql<boolean>`(${sql.join(table.key.map((k) => sql.ref(k)))}) > (${sql.join(after.map((v) => sql`${v}`))})`);
    }
    const rows = (await query.execute()) as Row[];
    yield* rows;
    if (rows.length < PAGE_ROWS) return;
    const final = rows[rows.length - 1]!;
    last = table.key.map((k) => final[k]);
  }
}

function exportedRow(table: TableSpec, row: Row): Row {
  const out: Row = {};
  for (const [column, kind] of Object.entries(table.columns)) {
    const value = row[column];
    out[column] = kind === 'bool' ? Boolean(value) : kind === 'text' ? value : value === null ? null : Number(value);
  }
  return out;
}

/** The highest id the sequence ever handed out (0: none), which may be above the highest id left. */
async function sequenceValue(store: StoreDatabase, db: Kysely<any>, table: string): Promise<number> {
  if (store.engine.kind === 'sqlite') {
    const { rows } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = ${table}`.execute(db);
    return Number(rows[0]?.seq ?? 0);
  }
  const { rows: names } = await sql<{ name: string }>`select pg_get_serial_sequence(${table}, 'id') as name`.execute(db);
  const { rows } = await sql<{ value: string | number }>`select case when is_called then last_value else 0 end as value from ${sql.raw(
    names[0]!.name,
  )}`.execute(db);
  return Number(rows[0]?.value ?? 0);
}

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

export interface ImportOptions {
  /** The importing store's key: every account's secret must open with it. */
  secretKey: Buffer;
  /** Where that key came from, for the message when it does not match (e.g. "secret.key in ./data"). */
  keySource: string;
}

export interface ImportSummary {
  rows: number;
  accounts: number;
}

/**
 * Reads an export into an empty store, all in one transaction: a bad line, a key that does not
 * open the secrets, or a stream cut before its trailer leaves the store as it was. Then the
 * planner's statistics of the new rows (refreshPlannerStatistics).
 */
export async function importStore(store: StoreDatabase, lines: AsyncIterable<string>, opts: ImportOptions): Promise<ImportSummary> {
  const summary = await importInOneTransaction(store, lines, opts);
  await refreshPlannerStatistics(
    store,
    EXPORTED_TABLES.map((table) => table.name),
  );
  return summary;
}

async function importInOneTransaction(store: StoreDatabase, lines: AsyncIterable<string>, opts: ImportOptions): Promise<ImportSummary> {
  const { engine } = store;
  return store.db.transaction().execute(async (trx) => {
    const db = trx as unknown as Kysely<any>;
    for (const table of EXPORTED_TABLES) {
      const any = await db.selectFrom(table.name).select(sql.lit(1).as('x')).limit(1).execute();
      if (any.length > 0) throw new ImportError(`the target store is not empty (it has ${table.name}): import only into a new store`);
    }
    let lineNo = 0;
    let header = false;
    let ended: { rows: number } | undefined;
    let tableIndex = 0;
    let batch: Row[] = [];
    let rows = 0;
    let accounts = 0;
    const sequences = new Map<string, number>();
    const flush = async () => {
      if (batch.length === 0) return;
      await db.insertInto(EXPORTED_TABLES[tableIndex]!.name).values(batch).execute();
      batch = [];
    };
    for await (const raw of lines) {
      lineNo += 1;
      if (raw.trim() === '') continue;
      const at = `line ${lineNo}`;
      if (ended) throw new ImportError(`${at}: text after the end of the export`);
      let record: Row;
      try {
        record = JSON.parse(raw) as Row;
      } catch {
        throw new ImportError(`${at}: not JSON`);
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new ImportError(`${at}: not a JSON object`);
      if (!header) {
        if (record.msnd !== 'export') throw new ImportError(`${at}: not an msnd export (the first line must be its header)`);
        if (record.format !== EXPORT_FORMAT)
          throw new ImportError(`${at}: export format ${String(record.format)}, this msnd reads ${EXPORT_FORMAT}`);
        if (record.schema !== LATEST_SCHEMA_VERSION) {
          throw new ImportError(
            `${at}: exported from schema ${String(record.schema)}, this msnd has ${LATEST_SCHEMA_VERSION}: use the same msnd version on both sides`,
          );
        }
        header = true;
        continue;
      }
      if (typeof record.table === 'string') {
        const index = EXPORTED_TABLES.findIndex((t) => t.name === record.table);
        if (index < 0) throw new ImportError(`${at}: unknown table ${JSON.stringify(record.table)}`);
        if (index < tableIndex || sequences.size > 0) throw new ImportError(`${at}: ${record.table} rows out of order`);
        if (index !== tableIndex) {
          await flush();
          tableIndex = index;
        }
        const table = EXPORTED_TABLES[index]!;
        const row = importedRow(table, record.row, at, engine.flag);
        if (table.name === 'accounts') {
          checkKey(row, opts, at);
          accounts += 1;
        }
        batch.push(row);
        rows += 1;
        if (batch.length >= INSERT_ROWS) await flush();
      } else if (typeof record.sequence === 'string') {
        const table = EXPORTED_TABLES.find((t) => t.sequence && t.name === record.sequence);
        if (!table) throw new ImportError(`${at}: no sequence ${JSON.stringify(record.sequence)}`);
        if (!Number.isSafeInteger(record.value) || (record.value as number) < 0) throw new ImportError(`${at}: bad sequence value`);
        await flush();
        sequences.set(table.name, record.value as number);
      } else if (record.end === true) {
        await flush();
        if (record.rows !== rows) throw new ImportError(`${at}: the export says ${String(record.rows)} rows, ${rows} were read`);
        ended = { rows };
      } else {
        throw new ImportError(`${at}: not a line of an msnd export`);
      }
    }
    if (!header) throw new ImportError('the input is empty: no msnd export');
    if (!ended) throw new ImportError(`the export ends at line ${lineNo} without its last line: it was cut short`);
    for (const table of EXPORTED_TABLES.filter((t) => t.sequence))
      await restoreSequence(store, db, table.name, sequences.get(table.name) ?? 0);
    return { rows, accounts };
  });
}

function importedRow(table: TableSpec, value: unknown, at: string, flag: (value: boolean) => unknown): Row {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ImportError(`${at}: ${table.name} row is not an object`);
  const row = value as Row;
  for (const column of Object.keys(row)) {
    if (!(column in table.columns)) throw new ImportError(`${at}: ${table.name} has no column ${JSON.stringify(column)}`);
  }
  const out: Row = {};
  for (const [column, kind] of Object.entries(table.columns)) {
    const v = row[column];
    const ok =
      kind === 'text'
        ? typeof v === 'string'
        : kind === 'bool'
          ? typeof v === 'boolean'
          : Number.isSafeInteger(v) || (kind === 'int?' && v === null);
    if (!ok) throw new ImportError(`${at}: ${table.name}.${column} must be ${describe(kind)}`);
    out[column] = kind === 'bool' ? flag(v as boolean) : v;
  }
  return out;
}

function describe(kind: ColumnKind): string {
  return { int: 'a whole number', 'int?': 'a whole number or null', text: 'a string', bool: 'true or false' }[kind];
}

function checkKey(row: Row, opts: ImportOptions, at: string): void {
  try {
    decryptSecret(opts.secretKey, row.secret_enc as string, row.handle as string);
  } catch {
    throw new ImportError(
      `${at}: the password of ${String(row.handle)} does not open with this store's key (${opts.keySource}): ` +
        "the export was written under another key. Give the importing msnd the exporting installation's secret.key " +
        '(copy it into --data, or set MSND_SECRET_KEY to it) and import again.',
    );
  }
}

/** Sets the sequence so that the next id is above every imported id and every id the source handed out. */
async function restoreSequence(store: StoreDatabase, db: Kysely<any>, table: string, exported: number): Promise<void> {
  const { rows } = await sql<{ top: number | null }>`select max(id) as top from ${sql.table(table)}`.execute(db);
  const value = Math.max(exported, Number(rows[0]?.top ?? 0));
  if (value === 0) return;
  if (store.engine.kind === 'sqlite') {
    const updated = await sql`update sqlite_sequence set seq = ${value} where name = ${table}`.execute(db);
    if (Number(updated.numAffectedRows ?? 0n) === 0)
      await sql`insert into sqlite_sequence (name, seq) values (${table}, ${value})`.execute(db);
  } else {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), ${value})`.execute(db);
  }
}
