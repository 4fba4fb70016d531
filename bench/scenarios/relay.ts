// Scenario 2: switchboard relay, 100 pairs, 200-byte MSG A, 8 in flight per sender.
import { join } from 'node:path';
import type { RunResult } from '../load/common.ts';
import { cannedReplies } from '../lib/canned.ts';
import { Histogram } from '../lib/histogram.ts';
import { PopulationBuilder } from '../lib/population.ts';
import { seedStore } from '../lib/seed.ts';
import { overWebSocket } from '../load/common.ts';
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
} from './context.ts';

const TARGET_RATIO = 0.85;
const PAIRS = 100;
const PAYLOAD_BYTES = 200;
const IN_FLIGHT = 8;

type RelayResult = RunResult & { sent: number; ackLatency: RunResult['latency'] };

export const relay: Scenario = {
  id: 'relay',
  title: `Switchboard relay (${PAIRS} pairs, ${PAYLOAD_BYTES}-byte MSG A, ${IN_FLIGHT} in flight per sender)`,
  async run(ctx: BenchContext) {
    const generators = ctx.generators.slice(0, 2);
    const window = ctx.quick ? { warmupMs: 1000, durationMs: 4000 } : { warmupMs: 2000, durationMs: 15_000 };
    const builder = new PopulationBuilder();
    const a = builder.addAccounts('a', PAIRS);
    const b = builder.addAccounts('b', PAIRS);
    const population = builder.build();
    const pairs = Array.from({ length: PAIRS }, (_, i) => ({ a: population.accounts[a + i]!, b: population.accounts[b + i]! }));
    const dataDir = join(ctx.workDir, 'relay');
    await seedStore({ dataDir }, population);

    const drive = async (server: ServerUnderTest) => {
      const split = shares(pairs, generators.length);
      const prepared = await Promise.all(
        generators.map((generator, g) =>
          generator.request<{ pairs: number; failed: number; firstError?: string }>(
            'relay-prepare',
            { target: server.target, pairs: split[g], keyPrefix: `g${g}`, localAddresses: ctx.localAddresses(g) },
            120_000,
          ),
        ),
      );
      const ready = sum(prepared.map((p) => p.pairs));
      check(
        ready === PAIRS,
        `${server.target.kind}: only ${ready} of ${PAIRS} pairs joined (${prepared.find((p) => p.firstError)?.firstError})`,
      );
      const { results, serverCpuPct } = await measured<RelayResult>(
        server,
        generators.map((generator) => ({ generator, params: { window: IN_FLIGHT, payloadBytes: PAYLOAD_BYTES } })),
        'relay-run',
        window,
      );
      await resetGenerators(ctx);
      const errors = sum(results.map((r) => r.errors));
      check(errors === 0, `${server.target.kind}: ${errors} relay errors, e.g. ${results.find((r) => r.firstError)?.firstError}`);
      const latency = new Histogram();
      const ack = new Histogram();
      for (const r of results) {
        latency.merge(r.latency);
        ack.merge(r.ackLatency);
      }
      return {
        rate: (sum(results.map((r) => r.count)) / window.durationMs) * 1000,
        latency: latency.summary(),
        ackLatency: ack.summary(),
        serverCpuPct,
        generatorCpuPct: results.map((r) => r.cpuPct),
      };
    };
    ctx.progress('relay: msnd');
    const msnd = await withServer(() => startMsndServer('relay', { dataDir }, msndOptions(ctx)), drive);
    ctx.progress("relay: msnd over WebSocket (the web Messenger's transport)");
    const overWs = await withServer(
      () => startMsndServer('relay-ws', { dataDir }, msndOptions(ctx)),
      (server) => drive({ ...server, target: overWebSocket(server.target) }),
    );
    ctx.progress('relay: raw baseline');
    const raw = await withServer(() => startRawServer('relay', ctx.workDir, cannedReplies(population, 0)), drive);
    const ratio = msnd.rate / raw.rate;
    return {
      id: 'relay',
      title: this.title,
      setup: `${PAIRS} pairs on ${generators.length} generators, ${window.durationMs / 1000} s measured after ${window.warmupMs / 1000} s warm-up; latency = send → receipt by the other participant`,
      figures: [
        { label: 'messages/s', unit: '/s', msnd: msnd.rate, baseline: raw.rate },
        { label: 'latency p50', unit: 'ms', msnd: msnd.latency.p50Ms, baseline: raw.latency.p50Ms },
        { label: 'latency p99', unit: 'ms', msnd: msnd.latency.p99Ms, baseline: raw.latency.p99Ms },
        { label: 'ACK p99', unit: 'ms', msnd: msnd.ackLatency.p99Ms, baseline: raw.ackLatency.p99Ms },
        { label: 'server CPU', unit: '%', msnd: msnd.serverCpuPct, baseline: raw.serverCpuPct },
        {
          label: 'server CPU per message',
          unit: 'µs',
          msnd: cpuPerOp(msnd.serverCpuPct, msnd.rate, 1000000),
          baseline: cpuPerOp(raw.serverCpuPct, raw.rate, 1000000),
        },
        { label: 'generators CPU', unit: '%', msnd: sum(msnd.generatorCpuPct), baseline: sum(raw.generatorCpuPct) },
        // The web Messenger's transport: the same msnd reached through WebSockets, beside TCP as its baseline.
        { label: 'messages/s over WebSocket (baseline: msnd over TCP)', unit: '/s', msnd: overWs.rate, baseline: msnd.rate },
        { label: 'latency p99 over WebSocket (baseline: TCP)', unit: 'ms', msnd: overWs.latency.p99Ms, baseline: msnd.latency.p99Ms },
      ],
      ratio: { label: 'messages/s msnd ÷ raw', value: ratio },
      target: { text: `relay ≥ ${TARGET_RATIO}× the raw relay`, met: ratio >= TARGET_RATIO },
      notes: [`over WebSocket: ${(overWs.rate / msnd.rate).toFixed(2)}× the messages/s over TCP`],
      data: { pairs: PAIRS, payloadBytes: PAYLOAD_BYTES, inFlight: IN_FLIGHT, window, msnd, baseline: raw, overWebSocket: overWs },
    };
  },
};
