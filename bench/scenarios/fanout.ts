// Scenario 4: presence fan-out: one user with 150 online watchers, then one with 500, changes status
// while many sessions are online; latency from CHG to each watcher's NLN, and to the changer's reply.
import { join } from 'node:path';
import type { FanoutResult } from '../load/fanout.ts';
import type { HoldResult } from '../load/hold.ts';
import { cannedReplies } from '../lib/canned.ts';
import type { GcPauseSummary } from '../lib/gc-pauses.ts';
import { Histogram } from '../lib/histogram.ts';
import { PopulationBuilder } from '../lib/population.ts';
import { seedStore } from '../lib/seed.ts';
import { startMsndServer, startRawServer, type ServerUnderTest } from '../lib/servers.ts';
import { formatNumber } from '../lib/report.ts';
import {
  check,
  resetGenerators,
  shares,
  sum,
  msndOptions,
  withServer,
  type BenchContext,
  type Scenario,
  type ScenarioResult,
} from './context.ts';

/** The cases: watchers of the user who changes status, and the fan-out p99 each must stay under (issue 15). */
const CASES = [
  { watchers: 150, targetP99Ms: 10 },
  { watchers: 500, targetP99Ms: 10 },
] as const;
/** The changer's own CHG reply p99, whatever the number of watchers (issue 15: it goes out before the fan-out). */
const REPLY_TARGET_P99_MS = 2;
/** changes made before the counted ones (the code paths warm up, as in the other scenarios) */
const WARMUP_CHANGES = 10;
const FULL_ONLINE = 10_000;
const QUICK_ONLINE = 2_000;

export const fanout: Scenario = {
  id: 'fanout',
  title: `Presence fan-out: CHG of a user with ${CASES.map((c) => c.watchers).join(' or ')} online watchers → NLN at each watcher`,
  async run(ctx: BenchContext) {
    const results = [];
    for (const c of CASES) results.push(await fanoutCase(ctx, c.watchers, c.targetP99Ms));
    return results;
  },
};

async function fanoutCase(ctx: BenchContext, watcherCount: number, targetP99Ms: number): Promise<ScenarioResult> {
  const id = watcherCount === CASES[0].watchers ? 'fanout' : `fanout-${watcherCount}`;
  const title = `Presence fan-out: CHG of a user with ${watcherCount} online watchers → NLN at each watcher`;
  const online = ctx.quick ? QUICK_ONLINE : FULL_ONLINE;
  const changes = ctx.quick ? 40 : 120;
  const builder = new PopulationBuilder();
  const ringSize = online - 1;
  const first = builder.addAccounts('u', ringSize);
  builder.ring(first, ringSize);
  const star = builder.addAccounts('star', 1);
  const watcherIndices = Array.from({ length: watcherCount }, (_, k) => first + Math.floor((k * ringSize) / watcherCount));
  for (const w of watcherIndices) builder.mutual(star, w);
  const population = builder.build();
  const isWatcher = new Set(watcherIndices);
  const watchers = watcherIndices.map((i) => population.accounts[i]!);
  const background = population.accounts.filter((_, i) => i < first + ringSize && !isWatcher.has(i));
  const dataDir = join(ctx.workDir, id);
  ctx.progress(`fanout: seeding ${population.accounts.length} accounts`);
  await seedStore({ dataDir }, population);
  const canned = cannedReplies(population, star);
  const holders = ctx.generators.slice(1);
  const split = shares(background, holders.length);

  const drive = async (server: ServerUnderTest) => {
    const held = await Promise.all(
      holders.map((generator, g) =>
        generator.request<HoldResult>(
          'hold',
          { target: server.target, accounts: split[g], concurrency: 32, localAddresses: ctx.localAddresses(g + 1) },
          600_000,
        ),
      ),
    );
    const heldCount = sum(held.map((h) => h.held));
    check(
      heldCount === background.length,
      `${server.target.kind}: held ${heldCount} of ${background.length} (${held.find((h) => h.firstError)?.firstError})`,
    );
    const prepared = await ctx.generators[0]!.request<{ watchers: number; firstError?: string }>(
      'fanout-prepare',
      {
        target: server.target,
        star: population.accounts[star],
        watchers,
        announcedAs: server.target.kind === 'msnd' ? population.accounts[star]!.handle : canned.handle,
        localAddresses: ctx.localAddresses(0),
      },
      120_000,
    );
    check(prepared.watchers === watcherCount, `${server.target.kind}: ${prepared.watchers} watchers (${prepared.firstError})`);
    await server.child.request('cpu-mark');
    const result = await ctx.generators[0]!.request<FanoutResult>(
      'fanout-run',
      { warmup: WARMUP_CHANGES, changes, gapMs: 25, timeoutMs: 2000 },
      300_000,
    );
    const serverCpuPct = await server.child.request<number>('cpu-read');
    const gc = await server.child.request<GcPauseSummary>('gc-read');
    await resetGenerators(ctx);
    check(result.missing === 0, `${server.target.kind}: ${result.missing} NLN lines never arrived`);
    return {
      online: heldCount + prepared.watchers + 1,
      latency: Histogram.from(result.latency).summary(),
      allDelivered: Histogram.from(result.allDelivered).summary(),
      reply: Histogram.from(result.reply).summary(),
      generatorCpuPct: result.cpuPct,
      serverCpuPct,
      perChange: result.perChange,
      gc,
    };
  };
  ctx.progress(`${id}: msnd, ${online} sessions online, ${watcherCount} watchers`);
  const msnd = await withServer(() => startMsndServer(id, { dataDir }, msndOptions(ctx)), drive);
  ctx.progress(`${id}: raw baseline, ${online} connections`);
  const raw = await withServer(() => startRawServer(id, ctx.workDir, canned), drive);
  const p99 = msnd.latency.p99Ms;
  const notes = [
    `${changes} status changes × ${watcherCount} watchers = ${changes * watcherCount} deliveries (after ${WARMUP_CHANGES} not counted); the raw baseline writes the same NLN line to ${watcherCount} subscribed connections`,
    `slowest changes (ms, until the last watcher): msnd ${slowest(msnd.perChange)}; raw ${slowest(raw.perChange)}`,
    `GC pauses during the changes: msnd ${msnd.gc.count} (${formatNumber(msnd.gc.totalMs)} ms in all), raw ${raw.gc.count} (${formatNumber(raw.gc.totalMs)} ms)`,
    "the changer runs in a worker thread of the watchers' generator (its own event loop): its CHG reply is timed in that thread, each NLN from the CHG's sending on the clock the threads share (performance.timeOrigin + now); the same for msnd and raw",
  ];
  if (ctx.quick) notes.push(`quick mode: ${online} sessions online instead of ${FULL_ONLINE}`);
  return {
    id,
    title,
    setup: `${msnd.online} sessions online (${watcherCount} watchers in one generator and the user in a thread of its own there, the rest idle in ${holders.length} others), one change every ~25 ms`,
    figures: [
      { label: 'latency p50', unit: 'ms', msnd: msnd.latency.p50Ms, baseline: raw.latency.p50Ms },
      { label: 'latency p99', unit: 'ms', msnd: p99, baseline: raw.latency.p99Ms },
      { label: 'last watcher p99', unit: 'ms', msnd: msnd.allDelivered.p99Ms, baseline: raw.allDelivered.p99Ms },
      { label: 'CHG reply p99', unit: 'ms', msnd: msnd.reply.p99Ms, baseline: raw.reply.p99Ms },
      // A pause holds the reply and every NLN behind it: what a slow change owes to the server's GC.
      { label: 'longest GC pause during the changes', unit: 'ms', msnd: msnd.gc.longestMs, baseline: raw.gc.longestMs },
    ],
    ratio: { label: 'p99 msnd ÷ raw', value: p99 / raw.latency.p99Ms },
    target: {
      text: `fan-out p99 ≤ ${targetP99Ms} ms and CHG reply p99 ≤ ${REPLY_TARGET_P99_MS} ms (msnd: ${formatNumber(p99)} ms, ${formatNumber(msnd.reply.p99Ms)} ms)`,
      met: p99 <= targetP99Ms && msnd.reply.p99Ms <= REPLY_TARGET_P99_MS,
    },
    notes,
    data: { online, watchers: watcherCount, changes, msnd, baseline: raw },
  };
}

function slowest(perChange: number[]): string {
  return [...perChange]
    .sort((a, b) => b - a)
    .slice(0, 5)
    .map((ms) => formatNumber(ms))
    .join(', ');
}
