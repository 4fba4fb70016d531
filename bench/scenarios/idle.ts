// Scenario 3: idle authenticated sessions (20-contact lists, synced, online): memory per session
// against raw idle connections, both measured in the server process after full GCs.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HoldResult } from '../load/hold.ts';
import { cannedReplies } from '../lib/canned.ts';
import { formatHeapGrowth, heapGroups, heapGrowthPerSession } from '../lib/heap.ts';
import type { MemorySample } from '../lib/memory.ts';
import { PopulationBuilder } from '../lib/population.ts';
import { seedStore } from '../lib/seed.ts';
import { startMsndServer, startRawServer, type ServerUnderTest } from '../lib/servers.ts';
import { check, resetGenerators, shares, sum, msndOptions, withServer, type BenchContext, type Scenario } from './context.ts';

const TARGET_RATIO = 2;
/** The server may hold 20,000 open files: sessions plus listeners, the store and stdio. */
const FULL_SESSIONS = 19_000;
const QUICK_SESSIONS = 2_000;

export const idle: Scenario = {
  id: 'idle',
  title: 'Idle sessions: memory per authenticated NS session (20-contact list, SYN 0, CHG NLN) vs a raw idle connection',
  async run(ctx: BenchContext) {
    const sessions = ctx.quick ? QUICK_SESSIONS : FULL_SESSIONS;
    const builder = new PopulationBuilder();
    builder.ring(builder.addAccounts('u', sessions), sessions);
    const population = builder.build();
    const dataDir = join(ctx.workDir, 'idle');
    ctx.progress(`idle: seeding ${sessions} accounts with 20 contacts each`);
    await seedStore({ dataDir }, population);
    const split = shares(population.accounts, ctx.generators.length);

    const snapshot = async (server: ServerUnderTest, name: string): Promise<string | undefined> => {
      if (!ctx.heapDir || server.target.kind !== 'msnd') return undefined;
      mkdirSync(ctx.heapDir, { recursive: true });
      return server.child.request<string>('heap-snapshot', { file: join(ctx.heapDir, `idle-${name}.heapsnapshot`) }, 600_000);
    };
    const drive = async (server: ServerUnderTest) => {
      const before = await server.child.request<MemorySample>('memory');
      const snapshotBefore = await snapshot(server, 'before');
      const t0 = performance.now();
      const held = await Promise.all(
        ctx.generators.map((generator, g) =>
          generator.request<HoldResult>(
            'hold',
            { target: server.target, accounts: split[g], concurrency: 32, localAddresses: ctx.localAddresses(g) },
            600_000,
          ),
        ),
      );
      const seconds = (performance.now() - t0) / 1000;
      const count = sum(held.map((h) => h.held));
      check(count === sessions, `${server.target.kind}: held ${count} of ${sessions} (${held.find((h) => h.firstError)?.firstError})`);
      await sleep(1000);
      const after = await server.child.request<MemorySample>('memory');
      const online = server.target.kind === 'msnd' ? await server.child.request<number>('online') : count;
      check(online === sessions, `msnd reports ${online} sessions online, expected ${sessions}`);
      const snapshotAfter = await snapshot(server, 'after');
      const heapGrowth =
        snapshotBefore && snapshotAfter ? heapGrowthPerSession(heapGroups(snapshotBefore), heapGroups(snapshotAfter), count) : undefined;
      const per = (key: Exclude<keyof MemorySample, 'spaces' | 'resident'>): number => (after[key] - before[key]) / count;
      return {
        sessions: count,
        signInRate: count / seconds,
        rssPerSession: per('rss'),
        heapPerSession: per('heapUsed'),
        heapTotalPerSession: per('heapTotal'),
        spacesPerSession: spacesPerSession(before, after, count),
        residentPerSession: residentPerSession(before, after, count),
        externalPerSession: per('external'),
        before,
        after,
        ...(heapGrowth && { heapGrowth: heapGrowth.slice(0, 40) }),
      };
    };
    ctx.progress(`idle: msnd, ${sessions} sessions`);
    const msnd = await withServer(() => startMsndServer('idle', { dataDir }, msndOptions(ctx)), drive);
    await resetGenerators(ctx);
    ctx.progress(`idle: raw baseline, ${sessions} connections`);
    const raw = await withServer(() => startRawServer('idle', ctx.workDir, cannedReplies(population, 0)), drive);
    await resetGenerators(ctx);
    const ratio = msnd.rssPerSession / raw.rssPerSession;
    const kib = (bytes: number): number => bytes / 1024;
    return {
      id: 'idle',
      title: this.title,
      setup: `${sessions} sessions from ${ctx.generators.length} generators over ${ctx.generators.length * 8} source addresses; memory after GC, minus the idle server's`,
      figures: [
        { label: 'RSS per session', unit: 'KiB', msnd: kib(msnd.rssPerSession), baseline: kib(raw.rssPerSession) },
        { label: 'JS heap per session', unit: 'KiB', msnd: kib(msnd.heapPerSession), baseline: kib(raw.heapPerSession) },
        { label: 'server RSS', unit: 'MiB', msnd: msnd.after.rss / 2 ** 20, baseline: raw.after.rss / 2 ** 20 },
        { label: 'sessions set up/s', unit: '/s', msnd: msnd.signInRate, baseline: raw.signInRate },
      ],
      ratio: { label: 'RSS per session msnd ÷ raw', value: ratio },
      target: { text: `bytes per idle session ≤ ${TARGET_RATIO}× a raw idle connection`, met: ratio <= TARGET_RATIO },
      notes: [
        `resident memory by mapping, KiB per session (msnd): ${formatResident(msnd.residentPerSession)}; raw: ${formatResident(raw.residentPerSession)}`,
        `V8 heap spaces, KiB per session committed / used (msnd): ${formatSpaces(msnd.spacesPerSession)}; raw: ${formatSpaces(raw.spacesPerSession)}`,
        ...(ctx.quick ? [`quick mode: ${sessions} sessions instead of ${FULL_SESSIONS} (per-session figures are noisier)`] : []),
        ...(msnd.heapGrowth
          ? [`heap snapshots taken (--heap): the RSS figures include the snapshots' own memory\n${formatHeapGrowth(msnd.heapGrowth, 25)}`]
          : []),
      ],
      data: { sessions, msnd, baseline: raw },
    };
  },
};

/** Growth of each V8 heap space per session, where it grew (committed or used). */
function spacesPerSession(before: MemorySample, after: MemorySample, count: number): Record<string, { size: number; used: number }> {
  const grown: Record<string, { size: number; used: number }> = {};
  for (const [name, space] of Object.entries(after.spaces)) {
    const was = before.spaces[name] ?? { size: 0, used: 0 };
    const size = (space.size - was.size) / count;
    const used = (space.used - was.used) / count;
    if (Math.abs(size) >= 1 || Math.abs(used) >= 1) grown[name] = { size, used };
  }
  return grown;
}

function formatSpaces(spaces: Record<string, { size: number; used: number }>): string {
  const kib = (bytes: number): string => (bytes / 1024).toFixed(2);
  return Object.entries(spaces)
    .map(([name, { size, used }]) => `${name.replace(/_space$/, '')} ${kib(size)} / ${kib(used)}`)
    .join(', ');
}

function residentPerSession(before: MemorySample, after: MemorySample, count: number): Record<string, number> {
  const grown: Record<string, number> = {};
  for (const [kind, bytes] of Object.entries(after.resident)) grown[kind] = (bytes - (before.resident[kind] ?? 0)) / count;
  return grown;
}

function formatResident(resident: Record<string, number>): string {
  return Object.entries(resident)
    .filter(([, bytes]) => Math.abs(bytes) >= 10)
    .map(([kind, bytes]) => `${kind} ${(bytes / 1024).toFixed(2)}`)
    .join(', ');
}
