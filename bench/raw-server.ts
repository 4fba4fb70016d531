// The raw baseline: a minimal node:net server with no protocol logic. It answers each line with a
// canned reply chosen by the command name (the same bytes msnd would send), relays MSG payloads to
// a paired connection with the same framing, broadcasts a line to subscribers, holds idle
// connections, and commits one row per ADD/REM (better-sqlite3 with msnd's pragmas, or pg).
//   node --import tsx bench/raw-server.ts --canned FILE [--sqlite DIR | --pg URL --pg-schema NAME]
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { TRID, type CannedReplies } from './lib/canned.ts';
import { GcPauses } from './lib/gc-pauses.ts';
import { CpuMeter, serveRequests } from './lib/ipc.ts';
import { heapSnapshot, measureMemory } from './lib/memory.ts';

const { values } = parseArgs({
  options: {
    canned: { type: 'string' },
    sqlite: { type: 'string' },
    pg: { type: 'string' },
    'pg-schema': { type: 'string', default: 'msnd_bench_raw' },
  },
});
if (!values.canned) throw new Error('--canned is required');
const canned = JSON.parse(readFileSync(values.canned, 'utf8')) as CannedReplies;

type Role = 'ds' | 'ns' | 'sb';
type Commit = (owner: number, add: boolean, contact: string, name: string) => Promise<void> | void;

const template = (text: string): string[] => text.split(TRID);
const fill = (parts: string[], trid: string): Buffer => Buffer.from(parts.join(trid), 'latin1');
const USR_OK = template(canned.usrOk);
const SYN = template(canned.syn);
const subscribers = new Set<Socket>();
const pairs = new Map<string, RawConnection>();
let nextOwner = 1;
let nsAddress = '';
const commit = await openCommitter();

class RawConnection {
  private rest: Buffer | null = null;
  private payload: { length: number; trid: string } | null = null;
  peer: RawConnection | undefined;
  readonly owner = nextOwner++;

  constructor(
    readonly socket: Socket,
    private readonly role: Role,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => subscribers.delete(socket));
  }

  private receive(chunk: Buffer): void {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      if (this.payload) {
        if (data.length - offset < this.payload.length) break;
        this.relay(this.payload.trid, data.subarray(offset, offset + this.payload.length));
        offset += this.payload.length;
        this.payload = null;
        continue;
      }
      const lf = data.indexOf(10, offset);
      if (lf === -1) break;
      const end = lf > offset && data[lf - 1] === 13 ? lf - 1 : lf;
      const tokens = data.toString('latin1', offset, end).split(' ');
      offset = lf + 1;
      this.line(tokens);
    }
    this.rest = offset < data.length ? Buffer.from(data.subarray(offset)) : null;
  }

  private line(tokens: string[]): void {
    const [name, trid = '0'] = tokens;
    const write = (text: string): boolean => this.socket.write(text);
    switch (name) {
      case 'VER':
        write(`VER ${trid} MSNP5 MSNP4 CVR0\r\n`);
        return;
      case 'INF':
        write(`INF ${trid} MD5\r\n`);
        return;
      case 'USR':
        if (this.role === 'ds') {
          write(`XFR ${trid} NS ${nsAddress} 0\r\n`);
          this.socket.end();
        } else if (this.role === 'sb') {
          pairs.set(tokens[2]!, this);
          write(`USR ${trid} OK ${canned.handle} ${canned.name}\r\n`);
        } else if (tokens[3] === 'I') write(`USR ${trid} MD5 S ${canned.challenge}\r\n`);
        else this.socket.write(fill(USR_OK, trid));
        return;
      case 'ANS':
        this.peer = pairs.get(tokens[2]!);
        pairs.delete(tokens[2]!);
        if (this.peer) this.peer.peer = this;
        write(`ANS ${trid} OK\r\n`);
        return;
      case 'MSG':
        this.payload = { length: Number(tokens[tokens.length - 1]), trid };
        return;
      case 'SYN':
        this.socket.write(fill(SYN, trid));
        return;
      case 'CHG':
        write(`CHG ${trid} ${tokens[2]}\r\n`);
        for (const s of subscribers) s.write(`NLN ${tokens[2]} ${canned.handle} ${canned.name}\r\n`);
        return;
      case 'SUB':
        subscribers.add(this.socket);
        write(`SUB ${trid}\r\n`);
        return;
      case 'ADD':
      case 'REM':
        void this.commitThenReply(tokens);
        return;
      case 'PNG':
        write('QNG\r\n');
        return;
      case 'OUT':
        write('OUT\r\n');
        this.socket.end();
        return;
      default:
        return;
    }
  }

  /** One row, one commit, then the reply: `ADD t FL 1 handle name` / `REM t FL 1 handle`. */
  private async commitThenReply([name, trid, list, contact, contactName]: string[]): Promise<void> {
    const add = name === 'ADD';
    try {
      await commit(this.owner, add, contact!, contactName ?? '');
      this.socket.write(add ? `ADD ${trid} ${list} 1 ${contact} ${contactName}\r\n` : `REM ${trid} ${list} 1 ${contact}\r\n`);
    } catch {
      this.socket.write(`500 ${trid}\r\n`);
    }
  }

  /** `MSG handle name len` + the same bytes to the peer, `ACK t` to the sender. */
  private relay(trid: string, payload: Buffer): void {
    const peer = this.peer;
    if (!peer || peer.socket.destroyed) {
      this.socket.write(`NAK ${trid}\r\n`);
      return;
    }
    const head = Buffer.from(`MSG ${canned.handle} ${canned.name} ${payload.length}\r\n`, 'latin1');
    peer.socket.write(Buffer.concat([head, payload]));
    this.socket.write(`ACK ${trid}\r\n`);
  }
}

async function openCommitter(): Promise<Commit> {
  if (values.pg) {
    const pool = new pg.Pool({ connectionString: values.pg });
    pool.on('error', () => {});
    const schema = values['pg-schema']!;
    await pool.query(`create schema if not exists ${schema}`);
    await pool.query(
      `create table if not exists ${schema}.list_changes (owner integer, contact text, name text, primary key (owner, contact))`,
    );
    const insert = `insert into ${schema}.list_changes (owner, contact, name) values ($1, $2, $3)`;
    const remove = `delete from ${schema}.list_changes where owner = $1 and contact = $2`;
    return async (owner, add, contact, name) => {
      await (add ? pool.query(insert, [owner, contact, name]) : pool.query(remove, [owner, contact]));
    };
  }
  if (values.sqlite) {
    const db = new BetterSqlite3(join(values.sqlite, 'raw.sqlite'));
    // The same durability as msnd's store (src/store/sqlite.ts).
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('create table if not exists list_changes (owner integer, contact text, name text, primary key (owner, contact))');
    const insert = db.prepare('insert into list_changes (owner, contact, name) values (?, ?, ?)');
    const remove = db.prepare('delete from list_changes where owner = ? and contact = ?');
    return (owner, add, contact, name) => {
      if (add) insert.run(owner, contact, name);
      else remove.run(owner, contact);
    };
  }
  return () => {
    throw new Error('no database (--sqlite or --pg)');
  };
}

function listen(role: Role): Promise<number> {
  const server: Server = createServer((socket) => new RawConnection(socket, role));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const ports = { ds: await listen('ds'), ns: await listen('ns'), sb: await listen('sb') };
nsAddress = `127.0.0.1:${ports.ns}`;
const cpu = new CpuMeter();
const gcPauses = new GcPauses();
serveRequests(
  {
    memory: () => measureMemory(),
    'heap-snapshot': ({ file }: { file: string }) => heapSnapshot(file),
    'cpu-mark': () => {
      cpu.reset();
      gcPauses.reset();
    },
    'cpu-read': () => cpu.percent(),
    /** the GC's pauses since the last cpu-mark, as msnd-server.ts's */
    'gc-read': () => gcPauses.read(),
  },
  { ports, pid: process.pid },
);
