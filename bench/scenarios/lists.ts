// Scenario 5: acknowledged list changes (ADD FL / REM FL), each committed before its reply, on SQLite
// and, with --store, on PostgreSQL; baseline: one-row commits on the same engine.
import { join } from 'node:path';
import type { RunResult } from '../load/common.ts';
import type { ListOwner } from '../load/lists.ts';
import { cannedReplies } from '../lib/canned.ts';
import { Histogram } from '../lib/histogram.ts';
import { PopulationBuilder } from '../lib/population.ts';
import { seedStore, type StoreLocation } from '../lib/seed.ts';
import { startMsndServer, startRawServer, type ServerUnderTest } from '../lib/servers.ts';
import {
  check,
  cpuPerOp,
  measured,
  resetGenerators,
  shares,
  sum,
  msndOptions,
  withServer,
  type BenchContext,
  type Scenario,
  type ScenarioResult,
} from './context.ts';

/** Issue 15: ≥ 0.6× the raw commit rate on SQLite, ≥ 0.5× on PostgreSQL. */
const TARGET_RATIO = { sqlite: 0.6, postgres: 0.5 } as const;
const OWNERS = 16;
const TARGETS_PER_OWNER = 8;
const RING = 200;

export const listChanges: Scenario = {
  id: 'lists',
  title: 'List changes: acknowledged ADD FL / REM FL per second, each committed before its reply',
  async run(ctx: BenchContext) {
    const results = [await runOn(ctx, 'sqlite')];
    if (ctx.pgUrl) results.push(await runOn(ctx, 'postgres'));
    return results;
  },
};

async function runOn(ctx: BenchContext, engine: 'sqlite' | 'postgres'): Promise<ScenarioResult> {
  const generators = ctx.generators.slice(0, 2);
  const window = ctx.quick ? { warmupMs: 1000, durationMs: 4000 } : { warmupMs: 2000, durationMs: 15_000 };
  const builder = new PopulationBuilder();
  const first = builder.addAccounts('u', RING);
  builder.ring(first, RING);
  const targets = builder.addAccounts('t', OWNERS * TARGETS_PER_OWNER);
  const population = builder.build();
  const owners: ListOwner[] = Array.from({ length: OWNERS }, (_, o) => ({
    account: population.accounts[first + o]!,
    targets: Array.from({ length: TARGETS_PER_OWNER }, (_, k) => population.accounts[targets + o * TARGETS_PER_OWNER + k]!).map((t) => ({
      handle: t.handle,
      name: t.name,
    })),
  }));
  const dataDir = join(ctx.workDir, `lists-${engine}`);
  const location: StoreLocation = engine === 'sqlite' ? { dataDir } : { dataDir, url: ctx.pgUrl!, pgSchema: ctx.pgSchemas.msnd };
  ctx.progress(`lists (${engine}): seeding`);
  await seedStore(location, population);
  const split = shares(owners, generators.length);

  const drive = async (server: ServerUnderTest) => {
    const prepared = await Promise.all(
      generators.map((generator, g) =>
        generator.request<{ owners: number; firstError?: string }>(
          'lists-prepare',
          { target: server.target, owners: split[g], localAddresses: ctx.localAddresses(g) },
          120_000,
        ),
      ),
    );
    check(
      sum(prepared.map((p) => p.owners)) === OWNERS,
      `${server.target.kind}: clients missing (${prepared.find((p) => p.firstError)?.firstError})`,
    );
    const { results, serverCpuPct } = await measured<RunResult>(
      server,
      generators.map((generator) => ({ generator, params: {} })),
      'lists-run',
      window,
    );
    await resetGenerators(ctx);
    const errors = sum(results.map((r) => r.errors));
    check(errors === 0, `${server.target.kind}: ${errors} failed changes, e.g. ${results.find((r) => r.firstError)?.firstError}`);
    const latency = new Histogram();
    for (const r of results) latency.merge(r.latency);
    return {
      rate: (sum(results.map((r) => r.count)) / window.durationMs) * 1000,
      latency: latency.summary(),
      serverCpuPct,
      generatorCpuPct: results.map((r) => r.cpuPct),
    };
  };
  ctx.progress(`lists (${engine}): msnd`);
  const msnd = await withServer(() => startMsndServer(`lists-${engine}`, location, msndOptions(ctx)), drive);
  ctx.progress(`lists (${engine}): raw baseline`);
  const rawDb = engine === 'sqlite' ? { sqliteDir: dataDir } : { pgUrl: ctx.pgUrl!, pgSchema: ctx.pgSchemas.raw };
  const raw = await withServer(() => startRawServer(`lists-${engine}`, ctx.workDir, cannedReplies(population, 0), rawDb), drive);
  const ratio = msnd.rate / raw.rate;
  return {
    id: `lists-${engine}`,
    title: `${listChanges.title} (${engine === 'sqlite' ? 'SQLite, WAL + synchronous=FULL' : 'PostgreSQL'})`,
    setup: `${OWNERS} clients on ${generators.length} generators, one change in flight each, ${window.durationMs / 1000} s measured after ${window.warmupMs / 1000} s warm-up; baseline: one INSERT/DELETE commit per line`,
    figures: [
      { label: 'changes/s', unit: '/s', msnd: msnd.rate, baseline: raw.rate },
      { label: 'latency p50', unit: 'ms', msnd: msnd.latency.p50Ms, baseline: raw.latency.p50Ms },
      { label: 'latency p99', unit: 'ms', msnd: msnd.latency.p99Ms, baseline: raw.latency.p99Ms },
      { label: 'server CPU', unit: '%', msnd: msnd.serverCpuPct, baseline: raw.serverCpuPct },
      {
        label: 'server CPU per change',
        unit: 'ms',
        msnd: cpuPerOp(msnd.serverCpuPct, msnd.rate, 1000),
        baseline: cpuPerOp(raw.serverCpuPct, raw.rate, 1000),
      },
    ],
    ratio: { label: 'changes/s msnd ÷ raw commits/s', value: ratio },
    target: { text: `list changes ≥ ${TARGET_RATIO[engine]}× the raw commit rate`, met: ratio >= TARGET_RATIO[engine] },
    notes: [],
    data: { engine, owners: OWNERS, window, msnd, baseline: raw },
  };
}
