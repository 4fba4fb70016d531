// `msnd user import FILE`: many accounts from CSV (handle,password,name[,verified]) or JSON lines.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import type { NewAccount } from '../core/store.ts';
import { createAccountsBatch, IMPORTED_TABLES, refreshPlannerStatistics } from '../store/bulk-accounts.ts';
import { checkStoreKey } from '../store/key-check.ts';
import { openStoreDatabase, SecretKeySource } from '../store/open.ts';
import { cliActor } from './admin.ts';
import { dataOption, initOption, storeOption } from './options.ts';
import { checkedHandle, friendlyNameFor } from './users.ts';

/** Accounts per transaction. */
const BATCH = 500;
const COLUMNS = ['handle', 'password', 'name', 'verified'] as const;
type Field = (typeof COLUMNS)[number];

class RowError extends Error {}

export function userImportCommand(): Command {
  return new Command('import')
    .description('create accounts from a CSV file (header: handle,password,name[,verified]) or JSON lines with those keys')
    .argument('<file>', 'the CSV or JSON-lines file')
    .addOption(dataOption())
    .addOption(storeOption())
    .addOption(initOption())
    .action(async (file: string, options: { data: string; store?: string; init?: boolean }) => {
      // Like every command but serve: no store is created by accident (--init makes one), and the key must open it.
      const store = await openStoreDatabase({ dataDir: options.data, url: options.store, mustExist: options.init !== true });
      const secretKey = await checkStoreKey(store.db, SecretKeySource.resolve({ dataDir: options.data }));
      const actor = cliActor();
      let created = 0;
      let refused = 0;
      const refuse = (line: number, reason: string) => {
        refused += 1;
        console.error(`line ${line}: ${reason}`);
      };
      let batch: { line: number; account: NewAccount }[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const outcome = await createAccountsBatch(
          store,
          secretKey,
          batch.map((b) => b.account),
          { actor, at: Date.now() },
        );
        created += outcome.created.length;
        const firstLine = new Map<string, number>();
        for (const b of batch) if (!firstLine.has(b.account.handle)) firstLine.set(b.account.handle, b.line);
        const existing = new Set(outcome.existing);
        const taken = new Set(outcome.created);
        for (const b of batch) {
          const { handle } = b.account;
          if (taken.has(handle) && firstLine.get(handle) === b.line) continue;
          if (existing.has(handle) || taken.has(handle)) {
            refuse(
              b.line,
              taken.has(handle) ? `${handle} appears twice (first on line ${firstLine.get(handle)})` : `${handle} already exists`,
            );
          }
        }
        batch = [];
      };
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
      try {
        let lineNo = 0;
        let format: 'csv' | 'json' | undefined;
        let header: (Field | undefined)[] = [];
        for await (const raw of lines) {
          lineNo += 1;
          const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
          if (text.trim() === '') continue;
          if (format === undefined) {
            if (text.trimStart().startsWith('{')) {
              format = 'json';
            } else {
              format = 'csv';
              header = csvHeader(text, lineNo);
              continue;
            }
          }
          try {
            const fields = format === 'json' ? jsonFields(text) : csvFields(text, header);
            batch.push({ line: lineNo, account: newAccount(fields) });
          } catch (error) {
            if (!(error instanceof Error)) throw error;
            refuse(lineNo, error.message);
          }
          if (batch.length >= BATCH) await flush();
        }
        await flush();
        if (created > 0) await refreshPlannerStatistics(store, IMPORTED_TABLES);
      } finally {
        lines.close();
        await store.close();
      }
      console.log(`imported ${created} account(s); ${refused} row(s) refused`);
      if (refused > 0) process.exitCode = 1;
    });
}

function csvHeader(line: string, lineNo: number): (Field | undefined)[] {
  const names = splitCsv(line).map((n) => n.trim().toLowerCase());
  for (const name of names) {
    if (!(COLUMNS as readonly string[]).includes(name))
      throw new Error(`line ${lineNo}: unknown column "${name}" (the header is handle,password,name[,verified])`);
  }
  for (const required of ['handle', 'password', 'name']) {
    if (!names.includes(required))
      throw new Error(`line ${lineNo}: the header has no ${required} column (the header is handle,password,name[,verified])`);
  }
  return names as Field[];
}

function csvFields(line: string, header: (Field | undefined)[]): Partial<Record<Field, unknown>> {
  const values = splitCsv(line);
  if (values.length !== header.length) throw new RowError(`${values.length} fields, the header has ${header.length}`);
  return Object.fromEntries(header.map((name, i) => [name, values[i]]));
}

/** One CSV record on one line (RFC 4180 quoting: "a, b" and "" for a quote). */
function splitCsv(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    if (line[i] === '"') {
      i += 1;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) throw new RowError('a quoted field is not closed (a field may not span lines)');
        value += line.slice(i, quote);
        i = quote + 1;
        if (line[i] === '"') {
          value += '"';
          i += 1;
        } else break;
      }
      if (i < line.length && line[i] !== ',') throw new RowError('text after a closing quote');
    } else {
      const comma = line.indexOf(',', i);
      value = line.slice(i, comma < 0 ? line.length : comma);
      i = comma < 0 ? line.length : comma;
    }
    fields.push(value);
    if (i >= line.length) return fields;
    i += 1; // the comma
  }
}

function jsonFields(line: string): Partial<Record<Field, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new RowError('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RowError('not a JSON object');
  for (const key of Object.keys(value)) {
    if (!(COLUMNS as readonly string[]).includes(key)) throw new RowError(`unknown key "${key}" (handle, password, name, verified)`);
  }
  return value as Partial<Record<Field, unknown>>;
}

function newAccount(fields: Partial<Record<Field, unknown>>): NewAccount {
  const { handle: rawHandle, password, name, verified } = fields;
  if (typeof rawHandle !== 'string' || rawHandle === '') throw new RowError('no handle');
  const handle = checkedHandle(rawHandle.trim());
  if (typeof password !== 'string' || password === '') throw new RowError('no password');
  if (name !== undefined && typeof name !== 'string') throw new RowError('name must be text');
  return {
    handle,
    secret: password,
    friendlyName: friendlyNameFor(name === '' ? undefined : name, handle),
    verified: parseVerified(verified),
  };
}

/** Absent or empty: verified, as `msnd user add` does without --unverified. */
function parseVerified(value: unknown): boolean {
  if (value === undefined || value === '' || value === null) return true;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['true', 'yes', '1'].includes(v)) return true;
    if (['false', 'no', '0'].includes(v)) return false;
  }
  throw new RowError(`verified must be true or false (got ${JSON.stringify(value)})`);
}
