// Scenario 1: logins per second through the DS, with a 20-contact list synced with BPR.
import { join } from 'node:path';
import type { RunResult } from '../load/common.ts';
import { cannedReplies } from '../lib/canned.ts';
import { Histogram } from '../lib/histogram.ts';
import { PopulationBuilder } from '../lib/population.ts';
import { seedStore } from '../lib/seed.ts';
import { overWebSocket } from '../load/common.ts';
import { startMsndServer, startRawServer, type ServerUnderTest } from '../lib/servers.ts';
import { check, cpuPerOp, measured, shares, sum, msndOptions, withServer, type BenchContext, type Scenario } from './context.ts';

/** Issue 15 §1: msnd's server CPU per full sign-in at most this many times the raw baseline's. */
const TARGET_CPU_RATIO = 2.5;

export const logins: Scenario = {
  id: 'logins',
  title: 'Logins/s through the DS (VER INF USR → XFR → VER INF USR USR → SYN 0 of 20 contacts with BPR → CHG NLN)',
  async run(ctx: BenchContext) {
    const accounts = ctx.quick ? 1000 : 2000;
    const generators = ctx.generators.slice(0, 2);
    const perGenerator = ctx.quick ? 16 : 25;
    // CPU per sign-in of a server that has run for a while: msnd's JIT takes some 10 s of sign-ins to
    // settle (its first 5 s windows cost up to half again as much); the raw server has little to compile.
    const window = ctx.quick ? { warmupMs: 1000, durationMs: 4000 } : { warmupMs: 10_000, durationMs: 15_000 };
    const builder = new PopulationBuilder();
    builder.ring(builder.addAccounts('u', accounts), accounts);
    const population = builder.build();
    const dataDir = join(ctx.workDir, 'logins');
    ctx.progress(`logins: seeding ${accounts} accounts with 20 contacts each`);
    await seedStore({ dataDir }, population);
    const credentials = shares(population.accounts, generators.length);

    const drive = async (server: ServerUnderTest) => {
      const { results, serverCpuPct } = await measured<RunResult & { syncLines: number }>(
        server,
        generators.map((generator, g) => ({
          generator,
          params: { target: server.target, accounts: credentials[g], concurrency: perGenerator, localAddresses: ctx.localAddresses(g) },
        })),
        'logins',
        window,
      );
      const latency = new Histogram();
      for (const r of results) latency.merge(r.latency);
      const errors = sum(results.map((r) => r.errors));
      check(errors === 0, `${server.target.kind}: ${errors} failed logins, e.g. ${results.find((r) => r.firstError)?.firstError}`);
      return {
        rate: (sum(results.map((r) => r.count)) / window.durationMs) * 1000,
        latency: latency.summary(),
        serverCpuPct,
        generatorCpuPct: results.map((r) => r.cpuPct),
        syncLines: results[0]!.syncLines,
      };
    };
    ctx.progress('logins: msnd');
    const msnd = await withServer(() => startMsndServer('logins', { dataDir }, msndOptions(ctx)), drive);
    ctx.progress("logins: msnd over WebSocket (the web Messenger's transport)");
    const overWs = await withServer(
      () => startMsndServer('logins-ws', { dataDir }, msndOptions(ctx)),
      (server) => drive({ ...server, target: overWebSocket(server.target) }),
    );
    ctx.progress('logins: raw baseline');
    const raw = await withServer(() => startRawServer('logins', ctx.workDir, cannedReplies(population, 0)), drive);
    check(msnd.syncLines === raw.syncLines, `SYN answers differ: msnd ${msnd.syncLines} lines, raw ${raw.syncLines}`);
    const cpuPerLogin = { msnd: cpuPerOp(msnd.serverCpuPct, msnd.rate, 1000), baseline: cpuPerOp(raw.serverCpuPct, raw.rate, 1000) };
    const ratio = cpuPerLogin.msnd / cpuPerLogin.baseline;
    return {
      id: 'logins',
      title: this.title,
      setup: `${accounts} accounts, ${generators.length}×${perGenerator} clients in parallel, ${window.durationMs / 1000} s measured after ${window.warmupMs / 1000} s warm-up; SYN answer ${msnd.syncLines} lines`,
      figures: [
        { label: 'logins/s', unit: '/s', msnd: msnd.rate, baseline: raw.rate },
        { label: 'latency p50', unit: 'ms', msnd: msnd.latency.p50Ms, baseline: raw.latency.p50Ms },
        { label: 'latency p99', unit: 'ms', msnd: msnd.latency.p99Ms, baseline: raw.latency.p99Ms },
        { label: 'server CPU', unit: '%', msnd: msnd.serverCpuPct, baseline: raw.serverCpuPct },
        { label: 'server CPU per login', unit: 'ms', ...cpuPerLogin },
        { label: 'generators CPU', unit: '%', msnd: sum(msnd.generatorCpuPct), baseline: sum(raw.generatorCpuPct) },
        // The web Messenger's transport: the same msnd reached through WebSockets, beside TCP as its baseline.
        { label: 'logins/s over WebSocket (baseline: msnd over TCP)', unit: '/s', msnd: overWs.rate, baseline: msnd.rate },
        { label: 'latency p99 over WebSocket (baseline: TCP)', unit: 'ms', msnd: overWs.latency.p99Ms, baseline: msnd.latency.p99Ms },
      ],
      ratio: { label: 'server CPU per login msnd ÷ raw', value: ratio },
      target: { text: `server CPU per login ≤ ${TARGET_CPU_RATIO}× the raw baseline's`, met: ratio <= TARGET_CPU_RATIO },
      notes: [
        `logins/s msnd ÷ raw: ${(msnd.rate / raw.rate).toFixed(2)}×`,
        `over WebSocket: ${(overWs.rate / msnd.rate).toFixed(2)}× the logins/s over TCP`,
      ],
      data: { accounts, clients: generators.length * perGenerator, window, msnd, baseline: raw, overWebSocket: overWs },
    };
  },
};
