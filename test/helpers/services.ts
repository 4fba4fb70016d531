// Shared set-up of the services suites (URL, FND, SDC/SND, PAG, NOT, 922): a TestMsnd whose data
// directory (and so its outbox folder) is a temporary directory of the test, and wire helpers.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { MsnpConnection } from '../../src/client/connection.ts';
import { isReplyTo, type Received } from '../../src/client/received.ts';
import type { OutboxRecord } from '../../src/core/store.ts';
import type { ServerConfigInput } from '../../src/server/config.ts';
import { TestMsnd, useMsnd } from './msnd.ts';

export interface ServicesMsnd {
  s: TestMsnd;
  /** `<data dir>/outbox`, where .eml files go. */
  outboxDir: string;
  stop(): Promise<void>;
}

const QUICK_TIMERS = { outboxPollMs: 200, outboxRetryMs: 100, alertPollMs: 100 };

/** A TestMsnd with its own data directory and quick timers for the outbox and the alert poller. */
export async function startServicesMsnd(config: ServerConfigInput = {}): Promise<ServicesMsnd> {
  const dataDir = await mkdtemp(join(tmpdir(), 'msnd-services-'));
  const s = await TestMsnd.start({
    dataDir,
    ...config,
    limits: { ...QUICK_TIMERS, ...config.limits },
  });
  return {
    s,
    outboxDir: join(dataDir, 'outbox'),
    async stop() {
      await s.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** What a services suite uses: the server (useMsnd's) and its outbox folder. */
export interface ServicesSuite {
  s: TestMsnd;
  /** `<data dir>/outbox`, where .eml files go. */
  readonly outboxDir: string;
}

/**
 * useMsnd with the quick timers of startServicesMsnd: started in the suite's before, stopped in
 * its after; the outbox folder is in the TestMsnd's own data directory.
 */
export function useServicesMsnd(config: ServerConfigInput = {}): ServicesSuite {
  const s = useMsnd({ ...config, limits: { ...QUICK_TIMERS, ...config.limits } });
  return {
    s,
    get outboxDir() {
      return join(s.dataDir, 'outbox');
    },
  };
}

/** Sends a payload command with an explicit TrID and takes the first line answering it. */
export async function askPayload(
  conn: MsnpConnection,
  name: string,
  trid: number,
  args: (string | number)[],
  payload: string | Buffer,
): Promise<Received> {
  conn.sendPayload(name, [trid, ...args], payload);
  return conn.next(isReplyTo(trid));
}

/** Waits until the folder holds `count` .eml files; returns them parsed, oldest name first. */
export async function emlFiles(dir: string, count: number, timeoutMs = 15_000): Promise<{ name: string; raw: Buffer; mail: ParsedMail }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.eml')).sort();
    if (names.length >= count) {
      return Promise.all(
        names.map(async (name) => {
          const raw = await readFile(join(dir, name));
          return { name, raw, mail: await simpleParser(raw) };
        }),
      );
    }
    if (Date.now() > deadline) throw new Error(`${names.length} .eml files in ${dir}, expected ${count}`);
    await sleep(25);
  }
}

/** Every outbox row, in id order. */
export async function outboxRows(s: TestMsnd): Promise<OutboxRecord[]> {
  const rows: OutboxRecord[] = [];
  for (let id = 1; ; id++) {
    const row = await s.store.outboxItem(id);
    if (!row) return rows;
    rows.push(row);
  }
}

/** Waits until `check` holds (polling the store or the disk); fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(25);
  }
}
