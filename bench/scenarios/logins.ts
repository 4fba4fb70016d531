// Scenario 1: logins per second through the DS, with a 20-contact list synced with BPR.
import { join } from 'node:path';
import type { RunResult, RunWindow } from '../load/common.ts';
import { cannedReplies } from '../lib/canned.ts';
import { Histogram } from '../lib/histogram.ts';
import { PopulationBuilder } from '../lib/population.ts';
import { seedStore, type StoreLocation } from '../lib/seed.ts';
import { overWebSocket } from '../load/common.ts';
import { startMsndServer, startRawServer, type ServerUnderTest } from '../lib/servers.ts';
import {
  check,
  cpuPerOp,
  measured,
  shares,
  sum,
  msndOptions,
  withServer,
  type BenchContext,
  type Figure,
  type Scenario,
  type ScenarioResult,
} from './context.ts';

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
    // settle (its first 5 s windows cost up to half again as much); the raw server has little to
    // compile but gets the same warm-up. Then the two take turns, window by window (msnd, raw, raw,
    // msnd, …), both processes kept running: a machine whose speed drifts (a VM's neighbours) moves
    // both sides of each round's ratio alike, where one long window each, one after the other, did not.
    const warmup = ctx.quick ? 1000 : 10_000;
    const window = ctx.quick ? { warmupMs: 500, durationMs: 2000 } : { warmupMs: 1000, durationMs: 5000 };
    const rounds = ctx.quick ? 2 : 4;
    const builder = new PopulationBuilder();
    builder.ring(builder.addAccounts('u', accounts), accounts);
    const population = builder.build();
    const dataDir = join(ctx.workDir, 'logins');
    ctx.progress(`logins: seeding ${accounts} accounts with 20 contacts each`);
    await seedStore({ dataDir }, population);
    const credentials = shares(population.accounts, generators.length);

    const drive = async (server: ServerUnderTest, w: RunWindow): Promise<LoginWindow> => {
      const { results, serverCpuPct } = await measured<RunResult & { syncLines: number }>(
        server,
        generators.map((generator, g) => ({
          generator,
          params: { target: server.target, accounts: credentials[g], concurrency: perGenerator, localAddresses: ctx.localAddresses(g) },
        })),
        'logins',
        w,
      );
      const latency = new Histogram();
      for (const r of results) latency.merge(r.latency);
      const errors = sum(results.map((r) => r.errors));
      check(errors === 0, `${server.target.kind}: ${errors} failed logins, e.g. ${results.find((r) => r.firstError)?.firstError}`);
      const rate = (sum(results.map((r) => r.count)) / w.durationMs) * 1000;
      return {
        rate,
        latency: latency.summary(),
        serverCpuPct,
        cpuPerLoginMs: cpuPerOp(serverCpuPct, rate, 1000),
        generatorCpuPct: sum(results.map((r) => r.cpuPct)),
        syncLines: results[0]!.syncLines,
      };
    };
    // msnd on `store` and the raw baseline, warmed up, then taking turns window by window.
    const takeTurns = (name: string, store: StoreLocation) =>
      withServer(
        () => startMsndServer(name, store, msndOptions(ctx)),
        (msndServer) =>
          withServer(
            () => startRawServer(name, ctx.workDir, cannedReplies(population, 0)),
            async (rawServer) => {
              await drive(msndServer, { warmupMs: warmup, durationMs: 1000 });
              await drive(rawServer, { warmupMs: warmup, durationMs: 1000 });
              const msnd: LoginWindow[] = [];
              const raw: LoginWindow[] = [];
              for (let round = 0; round < rounds; round++) {
                ctx.progress(`${name}: round ${round + 1} of ${rounds}`);
                if (round % 2 === 0) {
                  msnd.push(await drive(msndServer, window));
                  raw.push(await drive(rawServer, window));
                } else {
                  raw.push(await drive(rawServer, window));
                  msnd.push(await drive(msndServer, window));
                }
              }
              return { msnd, raw };
            },
          ),
      );
    ctx.progress('logins: msnd and the raw baseline, taking turns');
    const turns = await takeTurns('logins', { dataDir });
    ctx.progress("logins: msnd over WebSocket (the web Messenger's transport)");
    const overWs = await withServer(
      () => startMsndServer('logins-ws', { dataDir }, msndOptions(ctx)),
      async (server) => {
        const ws = { ...server, target: overWebSocket(server.target) };
        await drive(ws, { warmupMs: warmup, durationMs: 1000 });
        return drive(ws, { warmupMs: window.warmupMs, durationMs: window.durationMs * rounds });
      },
    );
    const { msnd, raw, roundRatios, ratio } = summariseTurns(turns);
    check(msnd.syncLines === raw.syncLines, `SYN answers differ: msnd ${msnd.syncLines} lines, raw ${raw.syncLines}`);
    const tcp: ScenarioResult = {
      id: 'logins',
      title: this.title,
      setup: `${accounts} accounts, ${generators.length}×${perGenerator} clients in parallel; after ${warmup / 1000} s of warm-up each, ${rounds} rounds of a ${window.durationMs / 1000} s window each (msnd and raw taking turns; figures: medians of the windows, ratio: median of the rounds' ratios); SYN answer ${msnd.syncLines} lines`,
      figures: [
        ...windowFigures(msnd, raw),
        // The web Messenger's transport: the same msnd reached through WebSockets, beside TCP as its baseline.
        { label: 'logins/s over WebSocket (baseline: msnd over TCP)', unit: '/s', msnd: overWs.rate, baseline: msnd.rate },
        { label: 'latency p99 over WebSocket (baseline: TCP)', unit: 'ms', msnd: overWs.latency.p99Ms, baseline: msnd.latency.p99Ms },
      ],
      ratio: { label: 'server CPU per login msnd ÷ raw', value: ratio },
      target: { text: `server CPU per login ≤ ${TARGET_CPU_RATIO}× the raw baseline's`, met: ratio <= TARGET_CPU_RATIO },
      notes: [
        `logins/s msnd ÷ raw: ${(msnd.rate / raw.rate).toFixed(2)}×`,
        `over WebSocket: ${(overWs.rate / msnd.rate).toFixed(2)}× the logins/s over TCP`,
        `rounds' ratios: ${roundRatios.map((r) => r.toFixed(2)).join(', ')}`,
      ],
      data: {
        accounts,
        clients: generators.length * perGenerator,
        warmup,
        window,
        rounds: turns,
        roundRatios,
        msnd,
        baseline: raw,
        overWebSocket: overWs,
      },
    };
    if (!ctx.pgUrl) return tcp;
    // The same sign-ins on a PostgreSQL store, for reference: the target is about the default store.
    const pgStore: StoreLocation = { dataDir: join(ctx.workDir, 'logins-postgres'), url: ctx.pgUrl, pgSchema: ctx.pgSchemas.logins };
    ctx.progress(`logins (postgres): seeding ${accounts} accounts with 20 contacts each`);
    await seedStore(pgStore, population);
    const pgTurns = await takeTurns('logins-postgres', pgStore);
    const { msnd: pgMsnd, raw: pgRaw, roundRatios: pgRatios, ratio: pgRatio } = summariseTurns(pgTurns);
    const postgres: ScenarioResult = {
      id: 'logins-postgres',
      title: `${this.title}, on a PostgreSQL store`,
      setup: `as logins, msnd on PostgreSQL (the raw baseline has no store)`,
      figures: windowFigures(pgMsnd, pgRaw),
      ratio: { label: 'server CPU per login msnd on PostgreSQL ÷ raw', value: pgRatio },
      target: { text: "none (for reference: the target is the default store's)" },
      notes: [
        `rounds' ratios: ${pgRatios.map((r) => r.toFixed(2)).join(', ')}`,
        "server CPU is msnd's process only: PostgreSQL's own backends are not counted",
      ],
      data: { rounds: pgTurns, msnd: pgMsnd, baseline: pgRaw },
    };
    return [tcp, postgres];
  },
};

interface LoginWindow {
  rate: number;
  latency: ReturnType<Histogram['summary']>;
  serverCpuPct: number;
  cpuPerLoginMs: number;
  generatorCpuPct: number;
  syncLines: number;
}

/**
 * msnd's and the baseline's median windows, the ratio of each round (its two windows side by side)
 * and the median of those ratios.
 */
function summariseTurns(turns: { msnd: LoginWindow[]; raw: LoginWindow[] }) {
  const roundRatios = turns.msnd.map((m, i) => m.cpuPerLoginMs / turns.raw[i]!.cpuPerLoginMs);
  return { msnd: medianWindow(turns.msnd), raw: medianWindow(turns.raw), roundRatios, ratio: median(roundRatios) };
}

/** The figures of msnd's median window beside the baseline's. */
function windowFigures(msnd: LoginWindow, raw: LoginWindow): Figure[] {
  return [
    { label: 'logins/s', unit: '/s', msnd: msnd.rate, baseline: raw.rate },
    { label: 'latency p50', unit: 'ms', msnd: msnd.latency.p50Ms, baseline: raw.latency.p50Ms },
    { label: 'latency p99', unit: 'ms', msnd: msnd.latency.p99Ms, baseline: raw.latency.p99Ms },
    { label: 'server CPU', unit: '%', msnd: msnd.serverCpuPct, baseline: raw.serverCpuPct },
    { label: 'server CPU per login', unit: 'ms', msnd: msnd.cpuPerLoginMs, baseline: raw.cpuPerLoginMs },
    { label: 'generators CPU', unit: '%', msnd: msnd.generatorCpuPct, baseline: raw.generatorCpuPct },
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Each figure's median over the windows (latencies too: the median window's p50 and p99). */
function medianWindow(windows: readonly LoginWindow[]): LoginWindow {
  const of = (pick: (w: LoginWindow) => number) => median(windows.map(pick));
  return {
    rate: of((w) => w.rate),
    latency: { ...windows[0]!.latency, p50Ms: of((w) => w.latency.p50Ms), p99Ms: of((w) => w.latency.p99Ms) },
    serverCpuPct: of((w) => w.serverCpuPct),
    cpuPerLoginMs: of((w) => w.cpuPerLoginMs),
    generatorCpuPct: of((w) => w.generatorCpuPct),
    syncLines: windows[0]!.syncLines,
  };
}
