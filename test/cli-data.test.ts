// `msnd backup`, `msnd export` / `msnd import` and `msnd user import`, run as processes. The
// round trip through PostgreSQL runs when MSND_TEST_POSTGRES_URL is set (a fresh schema, dropped after).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { MsnClient } from '../src/client/client.ts';
import { cliActor } from '../src/cli/admin.ts';
import { openStore } from '../src/store/open.ts';
import { BIN, msnd, serve } from './helpers/cli.ts';

const root = await mkdtemp(join(tmpdir(), 'msnd-data-'));
after(() => rm(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (name: string) => join(root, `${name}-${++dirs}`);

/** Every table with the columns that order its rows; msnd_meta and sqlite_sequence are compared too. */
const TABLES: Record<string, string> = {
  accounts: 'id',
  contact_groups: 'account_id, group_id',
  contacts: 'owner_id, contact_id',
  directory: 'account_id',
  mailboxes: 'account_id',
  alerts: 'id',
  pending_alerts: 'account_id, alert_id',
  outbox: 'id',
  msnd_meta: 'key',
};

/** Each store's own key check and serve lock (store/key-check.ts, serve-lock.ts) are not data that moves. */
const whereOf = (table: string) => (table === 'msnd_meta' ? " where key not in ('key_check', 'serve_lock')" : '');

type Dump = Record<string, unknown[]>;

function dumpSqlite(dataDir: string): Dump {
  const db = new BetterSqlite3(join(dataDir, 'msnd.sqlite'), { readonly: true });
  try {
    const dump: Dump = {};
    for (const [table, order] of Object.entries(TABLES))
      dump[table] = db.prepare(`select * from ${table}${whereOf(table)} order by ${order}`).all();
    dump.sqlite_sequence = db.prepare('select name, seq from sqlite_sequence order by name').all();
    return dump;
  } finally {
    db.close();
  }
}

/** PostgreSQL's rows in SQLite's spelling: booleans as 0/1, bigints as numbers. */
async function dumpPostgres(client: pg.Client, schema: string): Promise<Dump> {
  const dump: Dump = {};
  for (const [table, order] of Object.entries(TABLES)) {
    const { rows } = await client.query({
      text: `select * from ${schema}.${table}${whereOf(table)} order by ${order}`,
      types: { getTypeParser: numbers },
    });
    dump[table] = rows.map((row: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'boolean' ? Number(v) : v])),
    );
  }
  return dump;
}

const numbers = ((oid: number, format?: 'text' | 'binary') =>
  oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'];

function csvOf(rows: string[][]): string {
  return `handle,password,name,verified\n${rows.map((r) => r.join(',')).join('\n')}\n`;
}

function userImport(dataDir: string, file: string, content: string) {
  writeFileSync(file, content);
  return msnd(['user', 'import', file, '--data', dataDir, '--init']);
}

/** `a | b` in bash with pipefail: the status is the first failure's. */
function pipe(left: string[], right: string[], env: NodeJS.ProcessEnv = {}) {
  const quote = (args: string[]) => [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const result = spawnSync('bash', ['-c', `set -o pipefail; ${quote(left)} | ${quote(right)}`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A store with something in every table: lists in all four lists, groups, phones, profile, directory, alerts, mail counts, outbox. */
async function seed(dataDir: string): Promise<void> {
  const many = Array.from({ length: 1100 }, (_, i) => [`user${i}@example.com`, `pw${i}`, `User%20${i}`, i % 7 === 0 ? 'false' : 'true']);
  const imported = userImport(dataDir, join(dataDir, '..', `${dirs}-seed.csv`), csvOf(many));
  assert.equal(imported.status, 0, imported.stderr);
  const store = await openStore({ dataDir });
  try {
    const make = (name: string, verified = true) =>
      store.createAccount({ handle: `${name}@example.com`, friendlyName: name, secret: `${name}pass`, verified });
    const alice = await make('alice');
    const bob = await make('bob');
    const carol = await make('carol', false);
    await make('gone');
    assert.equal(await store.deleteAccount('gone@example.com'), true); // the sequence is now above the highest id
    await store.transaction(async (tx) => {
      await tx.saveGroup(alice.id, { id: 3, name: 'Work%20mates' });
      await tx.saveContact(alice.id, bob.id, { name: 'Bob%20B', lists: { FL: true, AL: true, BL: false, RL: true }, groups: [0, 3] });
      await tx.saveContact(alice.id, carol.id, { name: 'carol', lists: { FL: false, AL: false, BL: true, RL: false }, groups: [] });
      await tx.saveContact(bob.id, alice.id, { name: 'alice', lists: { FL: true, AL: true, BL: false, RL: true }, groups: [0] });
      await tx.saveContact(carol.id, alice.id, { name: 'alice', lists: { FL: false, AL: false, BL: false, RL: true }, groups: [] });
      await tx.updateAccount(alice.id, {
        gtc: 'N',
        blp: 'BL',
        kid: true,
        phones: { PHH: '1%20555%201234', MOB: 'Y' },
        profile: { country: 'US', postalCode: '98052', gender: 'F' },
      });
      await tx.updateAccount(bob.id, { phones: { PHW: '42' }, friendlyName: 'Bob%20%C3%A9' });
      for (let i = 0; i < 5; i++) await tx.bumpVersion(alice.id);
    });
    await store.setDirectoryEntry(alice.id, {
      listed: true,
      firstName: 'Alice',
      lastName: 'Ärger',
      city: 'Redmond',
      state: 'WA',
      country: 'US',
    });
    await store.setDirectoryEntry(carol.id, { listed: false, firstName: 'Carol', lastName: 'C', city: '', state: '', country: 'FR' });
    const first = await store.createAlert({
      text: 'hello',
      url: 'http://example.com/a',
      recipients: ['alice@example.com', 'bob@example.com'],
    });
    await store.createAlert({ text: 'to all', url: '', recipients: 'all' });
    assert.equal(await store.claimAlert(bob.id, first.id), true);
    await store.setMailbox(alice.id, { inboxUnread: 3, foldersUnread: 7 });
    const now = Date.now();
    await store.enqueueOutbox(
      { kind: 'email', recipient: 'x@example.com', sender: 'alice@example.com', subject: 's', body: 'b', callback: '' },
      now,
    );
    const sent = await store.enqueueOutbox(
      { kind: 'page', recipient: 'bob@example.com', sender: 'alice@example.com', subject: '', body: 'hi', callback: '555' },
      now,
    );
    await store.markOutboxSent(sent, now + 5);
  } finally {
    await store.close();
  }
  // A list version near the top of its range (MSNP5.md 8.4): a bigint on PostgreSQL.
  const db = new BetterSqlite3(join(dataDir, 'msnd.sqlite'));
  db.prepare("update accounts set list_version = 4294967290 where handle = 'bob@example.com'").run();
  db.close();
}

function withKeyOf(source: string, target: string): string {
  mkdirSync(target, { recursive: true, mode: 0o700 });
  copyFileSync(join(source, 'secret.key'), join(target, 'secret.key'));
  return target;
}

const postgresUrl = process.env.MSND_TEST_POSTGRES_URL;
const onPostgres = { skip: postgresUrl ? false : 'MSND_TEST_POSTGRES_URL is not set' };

/** Runs `fn` with a schema of its own on the test PostgreSQL (a URL whose search_path is it), dropped after. */
async function inPostgresSchema(fn: (admin: pg.Client, schema: string, pgUrl: string) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  const schema = `msnd_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`create schema ${schema}`);
  try {
    const separator = postgresUrl!.includes('?') ? '&' : '?';
    await fn(admin, schema, `${postgresUrl}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`);
  } finally {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

/** Which of `tables` have planner statistics (pg_stats rows, written by ANALYZE), sorted. */
async function tablesWithStatistics(client: pg.Client, schema: string, tables: string[]): Promise<string[]> {
  const { rows } = await client.query<{ tablename: string }>(
    'select distinct tablename from pg_stats where schemaname = $1 and tablename = any($2) order by tablename',
    [schema, tables],
  );
  return rows.map((row) => row.tablename);
}

describe('msnd export / import', () => {
  test('SQLite → SQLite through a pipe keeps every row, the id sequences and the passwords', async () => {
    const source = freshDir('source');
    await seed(source);
    const target = withKeyOf(source, freshDir('target'));
    const moved = pipe(['export', '--data', source], ['import', '--data', target]);
    assert.equal(moved.status, 0, moved.stderr);
    assert.match(moved.stdout, /imported \d+ rows \(1103 accounts\)/);
    assert.deepEqual(dumpSqlite(target), dumpSqlite(source));
    const store = await openStore({ dataDir: target });
    try {
      assert.equal(await store.secretOf('alice@example.com'), 'alicepass');
      assert.equal(await store.secretOf('user1099@example.com'), 'pw1099');
      // The deleted account's id is not handed out again.
      const next = await store.createAccount({ handle: 'new@example.com', friendlyName: 'new', secret: 'x', verified: true });
      assert.equal(next.id, 1105);
    } finally {
      await store.close();
    }
  });

  test('SQLite → PostgreSQL → SQLite: every row of every table comes back the same', onPostgres, async () => {
    await inPostgresSchema(async (admin, schema, pgUrl) => {
      const source = freshDir('source');
      await seed(source);
      const keyDir = withKeyOf(source, freshDir('key'));
      const there = pipe(['export', '--data', source], ['import', '--store', pgUrl, '--data', keyDir]);
      assert.equal(there.status, 0, there.stderr);
      assert.deepEqual(await tablesWithStatistics(admin, schema, ['accounts', 'contacts', 'contact_groups']), [
        'accounts',
        'contact_groups',
        'contacts',
      ]);
      assert.deepEqual(
        await dumpPostgres(admin, schema),
        Object.fromEntries(Object.entries(dumpSqlite(source)).filter(([t]) => t !== 'sqlite_sequence')),
      );

      const back = withKeyOf(source, freshDir('back'));
      const returned = pipe(['export', '--store', pgUrl, '--data', keyDir], ['import', '--data', back]);
      assert.equal(returned.status, 0, returned.stderr);
      assert.deepEqual(dumpSqlite(back), dumpSqlite(source));

      // On PostgreSQL too the next member id is above every id the source handed out.
      const store = await openStore({ dataDir: keyDir, url: pgUrl });
      try {
        assert.equal(await store.secretOf('bob@example.com'), 'bobpass');
        const next = await store.createAccount({ handle: 'new@example.com', friendlyName: 'new', secret: 'x', verified: true });
        assert.equal(next.id, 1105);
      } finally {
        await store.close();
      }
    });
  });

  test('an export under another key is refused and nothing is imported', async () => {
    const source = freshDir('source');
    await seed(source);
    const target = freshDir('other-key');
    mkdirSync(target, { mode: 0o700 });
    writeFileSync(join(target, 'secret.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const refused = pipe(['export', '--data', source], ['import', '--data', target]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /does not open with this store's key \(.*secret\.key\): the export was written under another key/);
    assert.equal(dumpSqlite(target).accounts!.length, 0);
    // The same with the key in MSND_SECRET_KEY, which is named as the source.
    const viaEnv = pipe(['export', '--data', source], ['import', '--data', freshDir('env-key')], {
      MSND_SECRET_KEY: randomBytes(32).toString('hex'),
    });
    assert.equal(viaEnv.status, 1);
    assert.match(viaEnv.stderr, /this store's key \(MSND_SECRET_KEY\)/);
  });

  test('without the key at all, import refuses before creating anything', () => {
    const target = freshDir('no-key');
    const refused = msnd(['import', '--data', target], {});
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /copy its secret\.key to .*secret\.key or set MSND_SECRET_KEY/);
    assert.equal(existsSync(target), false);
  });

  test('a cut, altered or misplaced export is refused whole; a store that is not empty is refused', async () => {
    const source = freshDir('source');
    await seed(source);
    const exported = msnd(['export', '--data', source]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stderr, /exported \d+ rows/);
    const lines = exported.stdout.split('\n');
    const file = join(root, `export-${dirs}.jsonl`);
    const attempt = (text: string) => {
      writeFileSync(file, text);
      const target = withKeyOf(source, freshDir('bad'));
      const result = msnd(['import', file, '--data', target]);
      assert.equal(result.status, 1, result.stdout);
      assert.equal(dumpSqlite(target).accounts!.length, 0);
      return result.stderr;
    };
    assert.match(attempt(lines.slice(0, 800).join('\n')), /without its last line: it was cut short/);
    assert.match(attempt(lines.slice(1).join('\n')), /line 1: not an msnd export/);
    assert.match(
      attempt(lines.map((l, i) => (i === 5 ? '{"table":"accounts","row":{"id":"x"}}' : l)).join('\n')),
      /line 6: accounts.id must be a whole number/,
    );
    assert.match(
      attempt(lines.map((l, i) => (i === 5 ? l.replace('"verified":', '"verfied":') : l)).join('\n')),
      /line 6: accounts has no column "verfied"/,
    );
    assert.match(attempt(lines.map((l, i) => (i === 7 ? '{oops' : l)).join('\n')), /line 8: not JSON/);
    assert.match(
      attempt(lines.map((l, i) => (i === 0 ? l.replace('"schema":', '"schema":9') : l)).join('\n')),
      /schema 9\d*, this msnd has/,
    );
    const contactsAt = lines.findIndex((l) => l.startsWith('{"table":"contacts"'));
    const reordered = [...lines];
    reordered.splice(2, 0, reordered.splice(contactsAt, 1)[0]!);
    assert.match(attempt(reordered.join('\n')), /line 4: accounts rows out of order/);
    assert.match(attempt(lines.map((l) => (l.startsWith('{"end"') ? '{"end":true,"rows":3}' : l)).join('\n')), /the export says 3 rows/);

    const full = withKeyOf(source, freshDir('full'));
    writeFileSync(file, exported.stdout);
    assert.equal(msnd(['import', file, '--data', full]).status, 0);
    const again = msnd(['import', file, '--data', full]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /the target store is not empty/);
  });

  test('export refuses a data directory holding no store, and creates nothing there', () => {
    const missing = freshDir('missing');
    const result = msnd(['export', '--data', missing]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /no msnd data in .*missing/);
    assert.equal(result.stdout, '');
    assert.equal(existsSync(missing), false);
  });
});

describe('msnd backup', () => {
  test('a copy taken while msnd serve commits ADDs holds every change acknowledged before it began', async (t) => {
    const dataDir = freshDir('live');
    const targets = Array.from({ length: 140 }, (_, i) => `t${i}@example.com`);
    const owners = ['alice', 'bob', 'carol'];
    const seeded = userImport(
      dataDir,
      join(root, `live-${dirs}.csv`),
      csvOf([...owners.map((o) => [`${o}@example.com`, `${o}pass`, o, '']), ...targets.map((x) => [x, 'pw', 't', ''])]),
    );
    assert.equal(seeded.status, 0, seeded.stderr);
    const server = await serve(dataDir);
    const clients: MsnClient[] = [];
    try {
      for (const owner of owners) {
        const client = await MsnClient.login({
          host: '127.0.0.1',
          port: server.ports.ds,
          handle: `${owner}@example.com`,
          password: `${owner}pass`,
          timeoutMs: 20_000,
        });
        clients.push(client);
        await client.sync(0);
      }
      // Three users ADD to their FL, each change acknowledged after its commit.
      const acknowledged: { owner: string; added: string }[] = [];
      let stop = false;
      // Closed while the backup process starts, so that the changes before it are still in the WAL
      // (a file copy of msnd.sqlite would miss them); opened when the backup begins.
      let gate: Promise<void> | undefined;
      let openGate = () => {};
      let parked = 0;
      let onParked = () => {};
      const writer = Promise.all(
        clients.map(async (client, o) => {
          for (const added of targets) {
            while (gate) {
              parked += 1;
              onParked();
              await gate;
              parked -= 1;
            }
            if (stop) return;
            await client.add('FL', added, 't');
            acknowledged.push({ owner: `${owners[o]}@example.com`, added });
          }
        }),
      );
      // Some changes first, then the backup while the writers go on.
      while (acknowledged.length < 40) await Promise.race([writer, new Promise((r) => setImmediate(r))]);
      gate = new Promise<void>((resolve) => {
        openGate = () => {
          gate = undefined;
          resolve();
        };
      });
      // Every ADD in flight is answered before the backup starts: each writer waits at the gate.
      await new Promise<void>((resolve) => {
        onParked = () => {
          if (parked === clients.length) resolve();
        };
        onParked();
      });
      const before = [...acknowledged];
      const out = freshDir('copy');
      const backup = spawn(process.execPath, [BIN, 'backup', '--data', dataDir, out]);
      let stdout = '';
      let stderr = '';
      backup.stdout.on('data', (c) => (stdout += c));
      backup.stderr.on('data', (c) => {
        stderr += c;
        if (stderr.includes('backing up')) openGate();
      });
      const [code] = (await once(backup, 'exit')) as [number | null];
      const duringBackup = acknowledged.length - before.length;
      stop = true;
      openGate();
      await writer;
      assert.equal(code, 0, stderr);
      assert.match(stdout, /backed up .*msnd\.sqlite to .*copy-\d+\/msnd\.sqlite/);
      assert.match(stdout, /Keep .*secret\.key .*with this copy/);

      const copy = new BetterSqlite3(join(out, 'msnd.sqlite'), { readonly: true });
      try {
        assert.deepEqual(copy.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
        const query = `select o.handle as owner, a.handle as added from contacts c
                       join accounts a on a.id = c.contact_id join accounts o on o.id = c.owner_id where c.fl = 1`;
        const onFl = new Set((copy.prepare(query).all() as { owner: string; added: string }[]).map((r) => `${r.owner} ${r.added}`));
        for (const { owner, added } of before) {
          assert.ok(onFl.has(`${owner} ${added}`), `${owner} ADD ${added} acknowledged before the backup is in the copy`);
        }
      } finally {
        copy.close();
      }
      // Restoring is opening the copy with the key.
      copyFileSync(join(dataDir, 'secret.key'), join(out, 'secret.key'));
      const restored = await openStore({ dataDir: out });
      try {
        assert.equal(await restored.secretOf('alice@example.com'), 'alicepass');
      } finally {
        await restored.close();
      }
      // Not an assertion on timing: only a note of how much load the backup ran under.
      t.diagnostic(`ADDs acknowledged while the backup ran: ${duringBackup}`);
    } finally {
      for (const client of clients) client.close();
      server.child.kill('SIGTERM');
      await server.exit;
    }
  });

  test('a missing store or an existing copy is refused', () => {
    const missing = msnd(['backup', '--data', freshDir('nothing'), freshDir('out')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no msnd data in/);
    const dataDir = freshDir('small');
    assert.equal(msnd(['user', 'add', 'a@example.com', '--password', 'pw', '--data', dataDir, '--init']).status, 0);
    const out = freshDir('out');
    assert.equal(msnd(['backup', '--data', dataDir, out]).status, 0);
    const again = msnd(['backup', '--data', dataDir, out]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal(readFileSync(join(out, 'msnd.sqlite')).subarray(0, 15).toString(), 'SQLite format 3');
  });
});

describe('msnd user import', () => {
  test('into PostgreSQL: the accounts are created and the planner has statistics of them at once', onPostgres, async () => {
    await inPostgresSchema(async (admin, schema, pgUrl) => {
      const dir = freshDir('pg-user-import');
      const file = join(dir, '..', `${dirs}-pg-users.csv`);
      writeFileSync(file, csvOf(Array.from({ length: 50 }, (_, i) => [`member${i}@example.com`, `pw${i}`, `Member%20${i}`, 'true'])));
      const imported = msnd(['user', 'import', file, '--store', pgUrl, '--data', dir, '--init']);
      assert.equal(imported.status, 0, imported.stderr);
      assert.match(imported.stdout, /imported 50 account\(s\); 0 row\(s\) refused/);
      const { rows } = await admin.query(`select count(*)::int as n from ${schema}.accounts`);
      assert.equal(rows[0].n, 50);
      assert.deepEqual(await tablesWithStatistics(admin, schema, ['accounts', 'contact_groups']), ['accounts', 'contact_groups']);
    });
  });

  test('CSV: good rows are created in batches, each bad row is reported with its line and the rest go on', async () => {
    const dataDir = freshDir('users');
    const rows = Array.from({ length: 1203 }, (_, i) => [`bulk${i}@example.com`, `pw${i}`, `Bulk ${i}`, '']);
    rows[4] = ['not-a-handle', 'pw', 'x', ''];
    rows[600] = ['bulk601@example.com', 'pw', 'dup', ''];
    rows[1000] = ['bulk1000@example.com', '', 'no password', ''];
    rows[1100] = ['bulk1100@example.com', 'pw', 'x', 'maybe'];
    rows[1101] = ['bulk1101@example.com', 'pw', '"Smith, ""J"""', 'no'];
    rows[1102] = ['bulk1102@example.com', 'pw', '"open', ''];
    const result = userImport(dataDir, join(root, `users-${dirs}.csv`), csvOf(rows));
    assert.equal(result.status, 1);
    assert.match(result.stdout, /imported 1198 account\(s\); 5 row\(s\) refused/);
    // bulk601 is on lines 602 and 603, both in the second batch of 500.
    assert.equal(
      result.stderr,
      [
        'line 6: "not-a-handle" is not a valid handle (an e-mail address like you@example.com)',
        'line 1002: no password',
        // Reported when its batch is written (the row that completes the batch is line 1003).
        'line 603: bulk601@example.com appears twice (first on line 602)',
        'line 1102: verified must be true or false (got "maybe")',
        'line 1104: a quoted field is not closed (a field may not span lines)',
        '',
      ].join('\n'),
    );
    const store = await openStore({ dataDir });
    try {
      assert.equal(await store.secretOf('bulk0@example.com'), 'pw0');
      assert.equal((await store.findAccount('bulk0@example.com'))?.friendlyName, 'Bulk%200');
      const smith = await store.findAccount('bulk1101@example.com');
      assert.equal(smith?.friendlyName, 'Smith,%20"J"');
      assert.equal(smith?.verified, false);
      assert.equal(await store.findAccount('bulk1000@example.com'), undefined);
      const groups = await store.read((tx) => tx.groups(smith!.id));
      assert.deepEqual(
        groups.map((g) => g.id),
        [0],
      );
      assert.equal((await store.listAccounts()).length, 1198);
    } finally {
      await store.close();
    }
    // Importing again: every row names an existing account.
    const again = userImport(dataDir, join(root, `users-again-${dirs}.csv`), csvOf([rows[0]!, rows[1]!]));
    assert.equal(again.status, 1);
    assert.equal(again.stderr, 'line 2: bulk0@example.com already exists\nline 3: bulk1@example.com already exists\n');
  });

  test('JSON lines with the same keys; a file with only good rows exits 0', async () => {
    const dataDir = freshDir('json');
    const good = userImport(
      dataDir,
      join(root, `users-${dirs}.jsonl`),
      '{"handle":"J1@Example.com","password":"p1","name":"Jay One"}\n\n{"handle":"j2@example.com","password":"p2","name":"j2","verified":false}\n',
    );
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /imported 2 account\(s\); 0 row\(s\) refused/);
    // Audited as `msnd user add` is: one `add` per account created, by the CLI's user.
    const audit = msnd(['audit', '--data', dataDir]);
    assert.equal(audit.status, 0, audit.stderr);
    assert.deepEqual(
      audit.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t').slice(1)),
      [
        [cliActor(), 'add', 'j1@example.com', 'import'],
        [cliActor(), 'add', 'j2@example.com', 'import'],
      ],
    );
    const bad = userImport(
      dataDir,
      join(root, `users-bad-${dirs}.jsonl`),
      '{"handle":"j3@example.com","password":"p3","name":"ok"}\n[1,2]\n{"handle":"j4@example.com","password":"p","nick":"x"}\n{"handle":"j5@example.com"\n{"handle":"j6@example.com","password":7,"name":"x"}\n',
    );
    assert.equal(bad.status, 1);
    assert.equal(
      bad.stderr,
      'line 2: not a JSON object\nline 3: unknown key "nick" (handle, password, name, verified)\nline 4: not JSON\nline 5: no password\n',
    );
    const store = await openStore({ dataDir });
    try {
      assert.equal(await store.secretOf('j1@example.com'), 'p1');
      assert.equal((await store.findAccount('j2@example.com'))?.verified, false);
      assert.equal(await store.secretOf('j3@example.com'), 'p3');
    } finally {
      await store.close();
    }
  });

  test('a CSV header without the required columns stops before any row', () => {
    const dataDir = freshDir('header');
    const result = userImport(dataDir, join(root, `header-${dirs}.csv`), 'handle,pass\na@example.com,pw\n');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /line 1: unknown column "pass"/);
  });
});
