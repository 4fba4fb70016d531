// What every scenario gets from bench/run.ts, what it returns, and the helpers they share.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunWindow } from '../load/common.ts';
import type { Child } from '../lib/ipc.ts';
import type { ServerUnderTest } from '../lib/servers.ts';

export interface BenchContext {
  quick: boolean;
  /** scratch space of this run (data directories, canned replies) */
  workDir: string;
  /** the load generator processes, started once for the whole run */
  generators: Child[];
  /** source addresses for generator `g` (127.0.0.x, a distinct set per generator) */
  localAddresses(g: number): string[];
  /** PostgreSQL URL given with --store */
  pgUrl?: string;
  /** Redis URL given with --redis (the cluster scenario) */
  redisUrl?: string;
  /** schemas of this run in that database (dropped at the end) */
  pgSchemas: { msnd: string; raw: string; cluster: string; logins: string };
  /** with --profile: where msnd's CPU profiles go */
  profileDir?: string;
  /** with --heap: where the idle scenario writes heap snapshots of msnd (before and after its sessions) */
  heapDir?: string;
  /** with --msnd-node-options: extra node flags for msnd's process (e.g. --trace-gc, V8 heap sizes) */
  msndNodeOptions: string[];
  progress(message: string): void;
}

/** One printed row: the same measure for msnd and the baseline. */
export interface Figure {
  label: string;
  unit: string;
  msnd: number;
  baseline: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** what was run: counts, durations */
  setup: string;
  figures: Figure[];
  /** the ratio the target is about: msnd ÷ baseline */
  ratio: { label: string; value: number };
  /** `met` undefined: a figure shown for reference, with no target of its own */
  target: { text: string; met?: boolean };
  notes: string[];
  /** everything measured, for the JSON file */
  data: Record<string, unknown>;
}

export interface Scenario {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioResult | ScenarioResult[]>;
}

/**
 * Starts `op` on each generator with its params plus the window, and samples the server's CPU over
 * the measured part of the window.
 */
export async function measured<T>(
  server: ServerUnderTest,
  runs: { generator: Child; params: Record<string, unknown> }[],
  op: string,
  window: RunWindow,
): Promise<{ results: T[]; serverCpuPct: number }> {
  const timeoutMs = window.warmupMs + window.durationMs + 60_000;
  const pending = runs.map((r) => r.generator.request<T>(op, { ...r.params, ...window }, timeoutMs));
  const failed = Promise.all(pending).then(() => new Promise<never>(() => {}));
  await Promise.race([sleep(window.warmupMs), failed]);
  await server.child.request('cpu-mark');
  await Promise.race([sleep(window.durationMs), failed]);
  const serverCpuPct = await server.child.request<number>('cpu-read');
  return { results: await Promise.all(pending), serverCpuPct };
}

/** Runs `fn` with the server, then stops the server whatever happened. */
export async function withServer<T>(start: () => Promise<ServerUnderTest>, fn: (server: ServerUnderTest) => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await fn(server);
  } finally {
    await server.child.stop();
  }
}

/** Closes every connection of the generators. */
export async function resetGenerators(ctx: BenchContext): Promise<void> {
  await Promise.all(ctx.generators.map((g) => g.request('reset', {}, 60_000)));
}

/** Splits items round-robin into n shares. */
export function shares<T>(items: readonly T[], n: number): T[][] {
  return Array.from({ length: n }, (_, k) => items.filter((_, j) => j % n === k));
}

export function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Fails loudly when a step did not do what the figures assume. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** CPU time per operation in 1/`perSecond` s (1000: ms, 1e6: µs), from a CPU share in % and a rate per second. */
export function cpuPerOp(cpuPct: number, ratePerSecond: number, perSecond: number): number {
  return ratePerSecond > 0 ? ((cpuPct / 100) * perSecond) / ratePerSecond : NaN;
}

/** How scenarios start msnd: with the run's profiling and node options. */
export function msndOptions(ctx: BenchContext): { profileDir?: string; nodeOptions: string[] } {
  return { ...(ctx.profileDir !== undefined && { profileDir: ctx.profileDir }), nodeOptions: ctx.msndNodeOptions };
}
