// Scenario 7: a cluster, two msnd nodes on one Redis bus and one PostgreSQL store, beside one
// in-process node (memory bus) on the same store in the same run: node CPU per sign-in, Redis's
// own CPU (INFO cpu), sign-in latency, presence fan-out from a user on one node to 150 watchers
// on the other, and chats between users of different nodes (node CPU per message, set-up and
// delivery latency); and the sign-ins again on one node alone on the Redis bus, which tells the bus's own
// cost from that of splitting the work over two processes; and on the in-process node at half the
// load, which tells how much of that split is each node's lighter load. Needs --store postgres://…
// and --redis redis://….
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RunResult } from '../load/common.ts';
import type { FanoutResult } from '../load/fanout.ts';
import type { RelayPrepared } from '../load/relay.ts';
import type { GcPauseSummary } from '../lib/gc-pauses.ts';
import { Histogram } from '../lib/histogram.ts';
import { PopulationBuilder } from '../lib/population.ts';
import { seedStore, type StoreLocation } from '../lib/seed.ts';
import { startMsndServer, type ServerUnderTest } from '../lib/servers.ts';
import { mainThreadWakeups, measureWakeupCost, type WakeupCost } from '../lib/wakeups.ts';
import { check, cpuPerOp, msndOptions, resetGenerators, shares, sum, type BenchContext, type Scenario } from './context.ts';

const TARGET_CPU_RATIO = 1.2;
const TARGET_FANOUT_P99_MS = 15;
const WATCHERS = 150;
const WARMUP_CHANGES = 10;
/**
 * Sign-ins begun per second in each phase, the same for one node and for two: CPU per sign-in is
 * compared at one load. Driven as fast as they go, the phases ran at different rates (on a 2-core
 * machine two nodes, Redis, PostgreSQL and the generators share the cores: the cluster went slower),
 * and a node's CPU per sign-in falls as its load rises (more work per turn of its event loop), so
 * the ratio measured the difference of load as much as the cluster's cost. Below what either
 * setup sustains on such a machine.
 */
const PACED_SIGN_INS_PER_SECOND = 150;
/** Chats between a user of each node and one of the other (in-process: both on the one node). */
const CHAT_PAIRS = 40;
const CHAT_PAYLOAD_BYTES = 200;
const CHAT_IN_FLIGHT = 8;
/**
 * Messages begun per second in the chat phase, in-process and in the cluster alike (paced, as the
 * sign-ins are: CPU per message is compared at one load); a quarter or less of what one node relays
 * on a 2-core machine.
 */
const PACED_MESSAGES_PER_SECOND = 5000;

export const cluster: Scenario = {
  id: 'cluster',
  title: 'Cluster: two nodes on one Redis bus and one PostgreSQL store, beside one in-process node',
  async run(ctx: BenchContext) {
    const { pgUrl, redisUrl } = ctx;
    check(pgUrl !== undefined && redisUrl !== undefined, 'the cluster scenario needs --store postgres://… and --redis redis://…');
    const accounts = ctx.quick ? 600 : 2000;
    const builder = new PopulationBuilder();
    const first = builder.addAccounts('u', accounts);
    builder.ring(first, accounts);
    const star = builder.addAccounts('star', 1);
    const watcherIndices = Array.from({ length: WATCHERS }, (_, k) => first + Math.floor((k * accounts) / WATCHERS));
    for (const w of watcherIndices) builder.mutual(star, w);
    const callers = builder.addAccounts('caller', CHAT_PAIRS);
    const callees = builder.addAccounts('callee', CHAT_PAIRS);
    const population = builder.build();
    const location: StoreLocation = { dataDir: join(ctx.workDir, 'cluster'), url: pgUrl, pgSchema: ctx.pgSchemas.cluster };
    ctx.progress(`cluster: seeding ${population.accounts.length} accounts on PostgreSQL`);
    await seedStore(location, population);
    const redis = new Redis(redisUrl);
    const prefix = `msnd-bench-${process.pid}:`;
    const alonePrefix = `msnd-bench-${process.pid}-alone:`;
    const phases = new Phases(ctx, redis, {
      credentials: shares(population.accounts.slice(first, first + accounts), 2),
      star: population.accounts[star]!,
      watchers: watcherIndices.map((i) => population.accounts[i]!),
      chatPairs: Array.from({ length: CHAT_PAIRS }, (_, i) => ({
        a: population.accounts[callers + i]!,
        b: population.accounts[callees + i]!,
      })),
    });
    try {
      ctx.progress('cluster: one in-process node (memory bus)');
      const single = await withServers([() => startMsndServer('cluster-single', location, msndOptions(ctx))], async ([node]) => ({
        logins: await phases.logins([node!, node!]),
        // Each node of the cluster carries half the sign-ins: the in-process node at that load.
        halfLoad: await phases.logins([node!, node!], PACED_SIGN_INS_PER_SECOND / 2, { warm: true }),
        fanout: await phases.fanout(node!, node!),
        chat: await phases.chat([node!, node!]),
      }));
      // One node alone on the Redis bus: what the bus costs, apart from what splitting the work over
      // two processes costs (each JIT-compiles and collects on its own, at half the load).
      ctx.progress('cluster: one node on the Redis bus');
      const alone = { url: redisUrl, prefix: alonePrefix };
      const oneOnRedis = await withServers(
        [() => startMsndServer('cluster-alone', location, { ...msndOptions(ctx), bus: alone })],
        async ([node]) => phases.logins([node!, node!]),
      );
      ctx.progress('cluster: two nodes on the Redis bus');
      const bus = { url: redisUrl, prefix };
      const start = (name: string) => () => startMsndServer(name, location, { ...msndOptions(ctx), bus });
      const clustered = await withServers([start('cluster-a'), start('cluster-b')], async ([a, b]) => ({
        logins: await phases.logins([a!, b!]),
        fanout: await phases.fanout(a!, b!),
        chat: await phases.chat([a!, b!]),
        keysLeft: await keysOnceAllSignedOut(redis, prefix, a!),
      }));
      ctx.progress("cluster: this machine's cost of waking a process");
      const wakeupCost = await measureWakeupCost(ctx.quick);
      const ratio = clustered.logins.cpuPerLoginMs / single.logins.cpuPerLoginMs;
      const p99 = clustered.fanout.latency.p99Ms;
      return {
        id: 'cluster',
        title: this.title,
        setup: `${accounts} accounts with 20 contacts on PostgreSQL; ${PACED_SIGN_INS_PER_SECOND} sign-ins/s begun through the DS from 2 generators (one per node in the cluster), in every phase; then one user on node A with ${WATCHERS} watchers on node B (in-process: all on the one node); then ${CHAT_PAIRS} chats, each between a user of one node and a user of the other (half of them called from each node), ${PACED_MESSAGES_PER_SECOND} ${CHAT_PAYLOAD_BYTES}-byte messages/s in all, at most ${CHAT_IN_FLIGHT} in flight per sender`,
        figures: [
          { label: 'sign-ins/s', unit: '/s', msnd: clustered.logins.rate, baseline: single.logins.rate },
          { label: 'node CPU per sign-in', unit: 'ms', msnd: clustered.logins.cpuPerLoginMs, baseline: single.logins.cpuPerLoginMs },
          {
            label: 'node CPU per sign-in, one node on the Redis bus',
            unit: 'ms',
            msnd: oneOnRedis.cpuPerLoginMs,
            baseline: single.logins.cpuPerLoginMs,
          },
          {
            label: `node CPU per sign-in, the in-process node at half the load (${PACED_SIGN_INS_PER_SECOND / 2}/s, each cluster node's)`,
            unit: 'ms',
            msnd: single.halfLoad.cpuPerLoginMs,
            baseline: single.logins.cpuPerLoginMs,
          },
          {
            label: 'node wake-ups per sign-in',
            unit: 'wake-ups',
            msnd: clustered.logins.wakeupsPerLogin,
            baseline: single.logins.wakeupsPerLogin,
          },
          {
            label: 'node wake-ups per sign-in, one node on the Redis bus',
            unit: 'wake-ups',
            msnd: oneOnRedis.wakeupsPerLogin,
            baseline: single.logins.wakeupsPerLogin,
          },
          { label: 'Redis CPU per sign-in', unit: 'ms', msnd: clustered.logins.redisPerLoginMs, baseline: single.logins.redisPerLoginMs },
          {
            label: 'Redis commands per sign-in',
            unit: 'calls',
            msnd: clustered.logins.redisCallsPerLogin,
            baseline: single.logins.redisCallsPerLogin,
          },
          { label: 'sign-in p50', unit: 'ms', msnd: clustered.logins.latency.p50Ms, baseline: single.logins.latency.p50Ms },
          { label: 'sign-in p99', unit: 'ms', msnd: clustered.logins.latency.p99Ms, baseline: single.logins.latency.p99Ms },
          { label: 'fan-out p50', unit: 'ms', msnd: clustered.fanout.latency.p50Ms, baseline: single.fanout.latency.p50Ms },
          { label: 'fan-out p99', unit: 'ms', msnd: p99, baseline: single.fanout.latency.p99Ms },
          { label: 'CHG reply p99', unit: 'ms', msnd: clustered.fanout.reply.p99Ms, baseline: single.fanout.reply.p99Ms },
          {
            label: 'longest GC pause of a node during the fan-out',
            unit: 'ms',
            msnd: clustered.fanout.longestGcPauseMs,
            baseline: single.fanout.longestGcPauseMs,
          },
          {
            label: 'node CPU per status change',
            unit: 'ms',
            msnd: clustered.fanout.cpuPerChangeMs,
            baseline: single.fanout.cpuPerChangeMs,
          },
          {
            label: 'Redis CPU per status change',
            unit: 'ms',
            msnd: clustered.fanout.redisPerChangeMs,
            baseline: single.fanout.redisPerChangeMs,
          },
          {
            label: 'Redis commands per status change',
            unit: 'calls',
            msnd: clustered.fanout.redisCallsPerChange,
            baseline: single.fanout.redisCallsPerChange,
          },
          { label: 'chat: messages/s', unit: '/s', msnd: clustered.chat.rate, baseline: single.chat.rate },
          {
            label: 'chat: node CPU per message',
            unit: 'µs',
            msnd: clustered.chat.cpuPerMessageUs,
            baseline: single.chat.cpuPerMessageUs,
          },
          {
            label: 'chat: Redis CPU per message',
            unit: 'µs',
            msnd: clustered.chat.redisPerMessageUs,
            baseline: single.chat.redisPerMessageUs,
          },
          { label: 'chat: delivery p50', unit: 'ms', msnd: clustered.chat.latency.p50Ms, baseline: single.chat.latency.p50Ms },
          { label: 'chat: delivery p99', unit: 'ms', msnd: clustered.chat.latency.p99Ms, baseline: single.chat.latency.p99Ms },
          {
            label: 'chat: set-up p50 (XFR SB → JOI, 16 at once per generator)',
            unit: 'ms',
            msnd: clustered.chat.setup.p50Ms,
            baseline: single.chat.setup.p50Ms,
          },
          {
            label: 'chat: set-up p99 (XFR SB → JOI, 16 at once per generator)',
            unit: 'ms',
            msnd: clustered.chat.setup.p99Ms,
            baseline: single.chat.setup.p99Ms,
          },
        ],
        ratio: { label: 'node CPU per sign-in, cluster ÷ in-process', value: ratio },
        target: {
          text: `node CPU per sign-in ≤ ${TARGET_CPU_RATIO}× in-process, cross-node fan-out p99 ≤ ${TARGET_FANOUT_P99_MS} ms`,
          met: ratio <= TARGET_CPU_RATIO && p99 <= TARGET_FANOUT_P99_MS,
        },
        notes: [
          'msnd column: the two-node cluster (CPU summed over both nodes); baseline column: one node on the in-process bus',
          "'one node on the Redis bus': the same sign-ins on one node alone on the Redis bus (its DS refers every login to its own NS): the bus's own cost, without that of splitting the work over two processes",
          `Redis keys left under the cluster's prefix once everyone signed out: ${clustered.keysLeft.join(', ') || 'none'} (${population.accounts.length} accounts signed in during the run)`,
          'Redis CPU and commands are those of the whole Redis server (INFO): give the bench a Redis of its own, or another user of it counts too',
          "wake-ups: the times the nodes' main threads slept and were woken (voluntary context switches), summed over the nodes",
          `at each node's load: two nodes ÷ the in-process node at ${PACED_SIGN_INS_PER_SECOND / 2} sign-ins/s: ${(clustered.logins.cpuPerLoginMs / single.halfLoad.cpuPerLoginMs).toFixed(2)}× (the in-process node itself costs ${(single.halfLoad.cpuPerLoginMs / single.logins.cpuPerLoginMs).toFixed(2)}× as much per sign-in at half the load as at the full one)`,
          wakeupNote(wakeupCost, clustered.logins, single.logins),
          ...(
            [
              ['one in-process node', single.logins.rate, PACED_SIGN_INS_PER_SECOND],
              ['one in-process node at half the load', single.halfLoad.rate, PACED_SIGN_INS_PER_SECOND / 2],
              ['one node on the Redis bus', oneOnRedis.rate, PACED_SIGN_INS_PER_SECOND],
              ['two nodes', clustered.logins.rate, PACED_SIGN_INS_PER_SECOND],
              ['the in-process chats', single.chat.rate, PACED_MESSAGES_PER_SECOND],
              ["the cluster's chats", clustered.chat.rate, PACED_MESSAGES_PER_SECOND],
            ] as const
          )
            .filter(([, rate, paced]) => rate < 0.95 * paced)
            .map(([phase, rate, paced]) => `${phase} fell behind the paced load: ${rate.toFixed(0)}/s of ${paced}`),
        ],
        data: { accounts, watchers: WATCHERS, single, oneOnRedis, clustered, wakeupCost },
      };
    } finally {
      const left = [...(await redis.keys(`${prefix}*`)), ...(await redis.keys(`${alonePrefix}*`))];
      if (left.length > 0) await redis.del(...left);
      await redis.quit();
    }
  },
};

/**
 * What waking costs on this machine (a bare echo server), and how much of the cluster's extra CPU per
 * sign-in its extra wake-ups would explain at the price of a wake-up after a short sleep (two nodes,
 * each at half the load, find fewer events waiting when they wake than one node does).
 */
function wakeupNote(cost: WakeupCost, clustered: { wakeupsPerLogin: number; cpuPerLoginMs: number }, single: typeof clustered): string {
  const extraWakeups = clustered.wakeupsPerLogin - single.wakeupsPerLogin;
  const estimateMs = (extraWakeups * (cost.afterShortSleepUs - cost.batchedUs)) / 1000;
  const us = (value: number) => value.toFixed(0);
  return (
    `waking a process on this machine: a bare Node echo server spends ${us(cost.batchedUs)} µs of CPU per request when requests come several to a wake-up, ` +
    `${us(cost.afterShortSleepUs)} µs when each wakes it after ~1 ms asleep, ${us(cost.afterLongSleepUs)} µs after ~10 ms; ` +
    `the cluster's ${extraWakeups.toFixed(1)} extra wake-ups per sign-in at the 1 ms price: ~${estimateMs.toFixed(2)} ms ` +
    `of the ${(clustered.cpuPerLoginMs - single.cpuPerLoginMs).toFixed(2)} ms it spends more per sign-in than one in-process node`
  );
}

type Credentials = { handle: string; password: string };

interface People {
  credentials: Credentials[][];
  star: Credentials;
  watchers: Credentials[];
  /** a: the caller, b: the callee */
  chatPairs: { a: Credentials; b: Credentials }[];
}

type RelayResult = RunResult & { sent: number };

class Phases {
  constructor(
    private readonly ctx: BenchContext,
    private readonly redis: Redis,
    private readonly people: People,
  ) {}

  /**
   * Sign-ins through the DS, `signInsPerSecond` begun in all: generator g on node g (both on the one
   * node in-process). `warm`: the nodes ran sign-ins just before, so a few seconds settle the new rate.
   */
  async logins(nodes: ServerUnderTest[], signInsPerSecond = PACED_SIGN_INS_PER_SECOND, { warm = false } = {}) {
    const { ctx } = this;
    // As in `logins`, after the JIT has settled: two nodes, each at half the load, take longer (in a
    // run of 5 s windows, 20 s against 10 s for one node).
    const window = ctx.quick ? { warmupMs: 1000, durationMs: 5000 } : { warmupMs: warm ? 5000 : 20_000, durationMs: 15_000 };
    const runs = nodes.map((node, g) =>
      ctx.generators[g]!.request<RunResult>(
        'logins',
        {
          target: node.target,
          accounts: this.people.credentials[g],
          concurrency: 12,
          localAddresses: ctx.localAddresses(g),
          ratePerSecond: signInsPerSecond / nodes.length,
          ...window,
        },
        window.warmupMs + window.durationMs + 60_000,
      ),
    );
    const failed = Promise.all(runs).then(() => new Promise<never>(() => {}));
    await Promise.race([sleep(window.warmupMs), failed]);
    const usage = await this.measure(nodes, () => Promise.race([sleep(window.durationMs), failed]));
    const results = await Promise.all(runs);
    const errors = sum(results.map((r) => r.errors));
    check(errors === 0, `cluster: ${errors} failed sign-ins, e.g. ${results.find((r) => r.firstError)?.firstError}`);
    const latency = new Histogram();
    for (const r of results) latency.merge(r.latency);
    const rate = (sum(results.map((r) => r.count)) / window.durationMs) * 1000;
    const signIns = rate * (window.durationMs / 1000);
    return {
      rate,
      wakeupsPerLogin: usage.nodeWakeups / signIns,
      latency: latency.summary(),
      nodeCpuPct: usage.nodeCpuPct,
      redisCpuPct: usage.redisCpuPct,
      cpuPerLoginMs: cpuPerOp(usage.nodeCpuPct, rate, 1000),
      redisPerLoginMs: cpuPerOp(usage.redisCpuPct, rate, 1000),
      redisCallsPerLogin: usage.redisCalls / signIns,
    };
  }

  /** The star signs in on `starNode`, its watchers on `watcherNode`; NLN latency per watcher. */
  async fanout(starNode: ServerUnderTest, watcherNode: ServerUnderTest) {
    const { ctx } = this;
    const changes = ctx.quick ? 40 : 120;
    const prepared = await ctx.generators[0]!.request<{ watchers: number; firstError?: string }>(
      'fanout-prepare',
      {
        target: watcherNode.target,
        starTarget: starNode.target,
        star: this.people.star,
        watchers: this.people.watchers,
        announcedAs: this.people.star.handle,
        localAddresses: ctx.localAddresses(0),
      },
      120_000,
    );
    check(prepared.watchers === WATCHERS, `cluster: ${prepared.watchers} watchers (${prepared.firstError})`);
    let result: FanoutResult | undefined;
    const usage = await this.measure([starNode, watcherNode], async () => {
      result = await ctx.generators[0]!.request<FanoutResult>(
        'fanout-run',
        { warmup: WARMUP_CHANGES, changes, gapMs: 25, timeoutMs: 2000 },
        300_000,
      );
    });
    await resetGenerators(ctx);
    check(result!.missing === 0, `cluster: ${result!.missing} NLN lines never arrived`);
    const perChange = (pct: number) => ((pct / 100) * usage.wallMs) / (WARMUP_CHANGES + changes);
    return {
      latency: Histogram.from(result!.latency).summary(),
      reply: Histogram.from(result!.reply).summary(),
      /** the last watcher's NLN of each change, ms: which changes make the p99 */
      perChange: result!.perChange,
      longestGcPauseMs: usage.longestGcPauseMs,
      cpuPerChangeMs: perChange(usage.nodeCpuPct),
      redisPerChangeMs: perChange(usage.redisCpuPct),
      redisCallsPerChange: usage.redisCalls / (WARMUP_CHANGES + changes),
    };
  }

  /**
   * Chats: generator g's callers sign in on nodes[g] and call callees signed in on the other node,
   * whose RNG crosses the bus and who join the switchboard of the caller's node. Paced at
   * PACED_MESSAGES_PER_SECOND in all.
   */
  async chat(nodes: [ServerUnderTest, ServerUnderTest]) {
    const { ctx } = this;
    const generators = ctx.generators.slice(0, 2);
    const split = shares(this.people.chatPairs, generators.length);
    const prepared = await Promise.all(
      generators.map((generator, g) =>
        generator.request<RelayPrepared>(
          'relay-prepare',
          {
            target: nodes[g]!.target,
            calleeTarget: nodes[1 - g]!.target,
            pairs: split[g],
            keyPrefix: `g${g}`,
            localAddresses: ctx.localAddresses(g),
          },
          120_000,
        ),
      ),
    );
    const ready = sum(prepared.map((p) => p.pairs));
    check(ready === CHAT_PAIRS, `cluster: only ${ready} of ${CHAT_PAIRS} chats joined (${prepared.find((p) => p.firstError)?.firstError})`);
    const window = ctx.quick ? { warmupMs: 1000, durationMs: 4000 } : { warmupMs: 3000, durationMs: 10_000 };
    const runs = generators.map((generator) =>
      generator.request<RelayResult>(
        'relay-run',
        {
          window: CHAT_IN_FLIGHT,
          payloadBytes: CHAT_PAYLOAD_BYTES,
          ratePerSecond: PACED_MESSAGES_PER_SECOND / generators.length,
          ...window,
        },
        window.warmupMs + window.durationMs + 60_000,
      ),
    );
    const failed = Promise.all(runs).then(() => new Promise<never>(() => {}));
    await Promise.race([sleep(window.warmupMs), failed]);
    const usage = await this.measure(nodes, () => Promise.race([sleep(window.durationMs), failed]));
    const results = await Promise.all(runs);
    await resetGenerators(ctx);
    const errors = sum(results.map((r) => r.errors));
    check(errors === 0, `cluster: ${errors} chat errors, e.g. ${results.find((r) => r.firstError)?.firstError}`);
    const latency = new Histogram();
    for (const r of results) latency.merge(r.latency);
    const setup = new Histogram();
    for (const p of prepared) setup.merge(p.setupLatency);
    const rate = (sum(results.map((r) => r.count)) / window.durationMs) * 1000;
    return {
      rate,
      cpuPerMessageUs: cpuPerOp(usage.nodeCpuPct, rate, 1_000_000),
      redisPerMessageUs: cpuPerOp(usage.redisCpuPct, rate, 1_000_000),
      latency: latency.summary(),
      setup: setup.summary(),
    };
  }

  /** CPU of the nodes (summed, % of one core) and of Redis while `during` runs. */
  private async measure(nodes: ServerUnderTest[], during: () => Promise<unknown>) {
    const servers = [...new Set(nodes)];
    const wakeups = () => sum(servers.map((s) => mainThreadWakeups(s.child.pid) ?? Number.NaN));
    await Promise.all(servers.map((s) => s.child.request('cpu-mark')));
    const wakeupsBefore = wakeups();
    const redisBefore = await redisUsage(this.redis);
    const t0 = performance.now();
    await during();
    const nodeCpuPct = sum(await Promise.all(servers.map((s) => s.child.request<number>('cpu-read'))));
    const nodeWakeups = wakeups() - wakeupsBefore;
    const gc = await Promise.all(servers.map((s) => s.child.request<GcPauseSummary>('gc-read')));
    const longestGcPauseMs = Math.max(...gc.map((pauses) => pauses.longestMs));
    const wallMs = performance.now() - t0;
    const redisAfter = await redisUsage(this.redis);
    const redisCpuPct = ((redisAfter.cpuS - redisBefore.cpuS) * 100_000) / wallMs;
    // Less the two INFO calls of this measurement.
    return { nodeCpuPct, nodeWakeups, longestGcPauseMs, redisCpuPct, redisCalls: redisAfter.calls - redisBefore.calls - 1, wallMs };
  }
}

/** used_cpu_sys + used_cpu_user of the Redis server (seconds), and the commands it ran (calls of INFO commandstats). */
async function redisUsage(redis: Redis): Promise<{ cpuS: number; calls: number }> {
  const info = await redis.info('all');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  const calls = [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  return { cpuS: field('used_cpu_sys') + field('used_cpu_user'), calls };
}

/** The keys under the prefix once the cluster counts nobody online (the clients have all closed). */
async function keysOnceAllSignedOut(redis: Redis, prefix: string, node: ServerUnderTest): Promise<string[]> {
  const deadline = performance.now() + 30_000;
  while ((await node.child.request<number>('online')) > 0 && performance.now() < deadline) await sleep(100);
  // An offline presence record lives until Redis's clock passes its seq: a millisecond or two.
  await sleep(50);
  return (await redis.keys(`${prefix}*`)).map((key) => key.slice(prefix.length)).sort();
}

async function withServers<T>(starts: (() => Promise<ServerUnderTest>)[], fn: (servers: ServerUnderTest[]) => Promise<T>): Promise<T> {
  const servers: ServerUnderTest[] = [];
  try {
    for (const start of starts) servers.push(await start());
    return await fn(servers);
  } finally {
    await Promise.all(servers.map((s) => s.child.stop()));
  }
}
