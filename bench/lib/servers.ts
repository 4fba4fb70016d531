// Starting the processes under test: msnd (bench/msnd-server.ts) and the raw baseline
// (bench/raw-server.ts), each in its own process with --expose-gc.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../load/common.ts';
import type { CannedReplies } from './canned.ts';
import { Child } from './ipc.ts';
import type { StoreLocation } from './seed.ts';

/** The measured windows of a profiled server, next to its profiles (see bench/lib/profile.ts). */
export const WINDOW_FILE = 'windows.json';
const MSND_SERVER = new URL('../msnd-server.ts', import.meta.url).pathname;
const RAW_SERVER = new URL('../raw-server.ts', import.meta.url).pathname;

export interface ServerUnderTest {
  child: Child;
  target: Target;
}

interface Ports {
  ds: number;
  ns: number;
  sb: number;
  http?: number;
}

/** msnd on the seeded store; with `profileDir`, a --cpu-prof profile is written there when it stops. */
export async function startMsndServer(
  name: string,
  store: StoreLocation,
  opts: { profileDir?: string; logFile?: string; nodeOptions?: string[]; bus?: { url: string; prefix: string } } = {},
): Promise<ServerUnderTest> {
  const args = ['--data', store.dataDir];
  if (opts.bus) args.push('--bus', opts.bus.url, '--bus-prefix', opts.bus.prefix);
  if (store.url) args.push('--store', store.url);
  if (store.pgSchema) args.push('--pg-schema', store.pgSchema);
  if (opts.logFile) args.push('--log', opts.logFile);
  const execArgv = ['--expose-gc', ...(opts.nodeOptions ?? [])];
  if (opts.profileDir) {
    // One directory per server: every thread (the main one, tsx's loader thread) writes a profile.
    const dir = join(opts.profileDir, name);
    mkdirSync(dir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
    args.push('--window-file', join(dir, WINDOW_FILE));
  }
  const { child, info } = await Child.start<{ ports: Ports }>(`msnd (${name})`, MSND_SERVER, args, { execArgv });
  return { child, target: { kind: 'msnd', host: '127.0.0.1', ports: info.ports } };
}

/** The raw baseline, answering with `canned`; `sqliteDir` or `pg` for the single-row commits. */
export async function startRawServer(
  name: string,
  workDir: string,
  canned: CannedReplies,
  db: { sqliteDir?: string; pgUrl?: string; pgSchema?: string } = {},
): Promise<ServerUnderTest> {
  const cannedFile = join(workDir, `canned-${name}.json`);
  writeFileSync(cannedFile, JSON.stringify(canned));
  const args = ['--canned', cannedFile];
  if (db.sqliteDir) args.push('--sqlite', db.sqliteDir);
  if (db.pgUrl) args.push('--pg', db.pgUrl, '--pg-schema', db.pgSchema ?? 'msnd_bench_raw');
  const { child, info } = await Child.start<{ ports: Ports }>(`raw (${name})`, RAW_SERVER, args, { execArgv: ['--expose-gc'] });
  return { child, target: { kind: 'raw', host: '127.0.0.1', ports: info.ports } };
}
