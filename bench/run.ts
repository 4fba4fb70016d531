// msnd benchmarks: `npm run bench` (full) or `npm run bench -- --quick` (under two minutes); the
// options are in USAGE below (`npm run bench -- --help`).
// Every scenario runs msnd and a raw node:net baseline in the same run, each in its own process,
// driven by load generator processes (bench/loadgen.ts). Results: bench/results/<time>.json.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Child, REPO_ROOT } from './lib/ipc.ts';
import { WINDOW_FILE } from './lib/servers.ts';
import { summariseProfile, formatProfileSummary } from './lib/profile.ts';
import { busyPercent, formatReport, machineInfo, type RunReport } from './lib/report.ts';
import type { BenchContext, Scenario, ScenarioResult } from './scenarios/context.ts';
import { fanout } from './scenarios/fanout.ts';
import { cluster } from './scenarios/cluster.ts';
import { idle } from './scenarios/idle.ts';
import { listChanges } from './scenarios/lists.ts';
import { logins } from './scenarios/logins.ts';
import { relay } from './scenarios/relay.ts';
import { userImport } from './scenarios/user-import.ts';

const SCENARIOS: Scenario[] = [logins, relay, idle, fanout, listChanges, userImport, cluster];
const GENERATORS = 4;
const LOADGEN = new URL('./loadgen.ts', import.meta.url).pathname;

const USAGE = `usage: npm run bench -- [options]
  --quick                                under two minutes (smaller populations, shorter windows)
  --only ${SCENARIOS.map((s) => s.id).join(',')}   run some scenarios
  --store postgres://…                   sign-ins and list changes on PostgreSQL too (schemas of their own, dropped after)
  --redis redis://…                      with --store: the cluster scenario (two nodes on the Redis bus)
  --profile                              msnd runs under --cpu-prof; a summary of each profile is printed
  --heap                                 the idle scenario diffs heap snapshots of msnd: what a session holds
  --msnd-node-options="FLAGS"            extra node flags for msnd's process (e.g. "--trace-gc")
  --keep                                 keep the scratch directory (.tmp/bench-…)`;

const { values } = parseOptions();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.id).join(', ')}`);
  process.exit(2);
}
if (values.store !== undefined && !/^postgres(ql)?:\/\//.test(values.store)) {
  console.error('--store takes a postgres:// URL (SQLite is always measured)');
  process.exit(2);
}

const started = new Date();
const stamp = started.toISOString().replace(/[:.]/g, '-');
const workDir = join(REPO_ROOT, '.tmp', `bench-${stamp}`);
const resultsDir = join(REPO_ROOT, 'bench', 'results');
const profileDir = values.profile ? join(resultsDir, 'profiles', stamp) : undefined;
const heapDir = values.heap ? join(workDir, 'heap') : undefined;
mkdirSync(workDir, { recursive: true });
const t0 = performance.now();
const progress = (message: string): void => {
  console.error(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);
};

const generators: Child[] = [];
const report: RunReport = {
  startedAt: started.toISOString(),
  mode: values.quick ? 'quick' : 'full',
  machine: machineInfo(await busyPercent()),
  stores: values.store ? ['sqlite', 'postgres (sign-ins, list changes)'] : ['sqlite'],
  profiled: values.profile,
  scenarios: [],
  failures: [],
  durationS: 0,
};

process.once('SIGINT', () => {
  // The children see the same SIGINT and exit when their IPC channel closes.
  for (const g of generators) g.kill();
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  process.exit(130);
});

const manyLoopbacks = await canBind('127.0.0.2');
if (!manyLoopbacks) progress('127.0.0.2 is not usable here: every connection comes from 127.0.0.1 (fewer ports for the idle scenario)');
try {
  progress(`starting ${GENERATORS} load generators`);
  generators.push(
    ...(await Promise.all(Array.from({ length: GENERATORS }, (_, g) => Child.start(`generator ${g}`, LOADGEN, []).then((r) => r.child)))),
  );
  const ctx: BenchContext = {
    quick: values.quick,
    workDir,
    generators,
    // 8 source addresses per generator: 127.0.0.2-9, 127.0.0.10-17, … (Linux routes all of 127/8 to lo)
    localAddresses: (g) => (manyLoopbacks ? Array.from({ length: 8 }, (_, i) => `127.0.0.${2 + g * 8 + i}`) : []),
    ...(values.store !== undefined && { pgUrl: values.store }),
    ...(values.redis !== undefined && { redisUrl: values.redis }),
    pgSchemas: benchSchemas(),
    ...(profileDir !== undefined && { profileDir }),
    ...(heapDir !== undefined && { heapDir }),
    msndNodeOptions: values['msnd-node-options']?.split(/\s+/).filter(Boolean) ?? [],
    progress,
  };
  for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.id))) {
    try {
      const result = await scenario.run(ctx);
      report.scenarios.push(...(Array.isArray(result) ? result : [result]));
    } catch (err) {
      progress(`${scenario.id} failed: ${err instanceof Error ? err.stack : err}`);
      report.failures.push({ id: scenario.id, error: err instanceof Error ? err.message : String(err) });
    }
    await Promise.all(generators.map((g) => g.request('reset', {}, 60_000).catch(() => {})));
  }
} finally {
  await Promise.all(generators.map((g) => g.stop()));
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  if (values.store) await dropBenchSchemas(values.store);
}

report.durationS = (performance.now() - t0) / 1000;
mkdirSync(resultsDir, { recursive: true });
const resultFile = join(resultsDir, `${stamp}.json`);
writeFileSync(resultFile, JSON.stringify(report, null, 2) + '\n');
console.log(formatReport(report));
console.log(`\nresults: ${resultFile}`);
if (profileDir) printProfiles(profileDir, report.scenarios);
process.exit(report.failures.length > 0 ? 1 : 0);

/** Whether this machine lets a socket bind to `address` (127.0.0.2… are not configured on every OS). */
function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, address, () => server.close(() => resolve(true)));
  });
}

/** Drops the schemas this run created (msnd_bench_<pid>…). */
async function dropBenchSchemas(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    for (const schema of Object.values(benchSchemas())) await client.query(`drop schema if exists ${schema} cascade`);
  } catch (err) {
    console.error(`could not drop the benchmark schemas: ${err instanceof Error ? err.message : err}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** For each server profiled, the main thread's profile (the one that ran msnd's code). */
function printProfiles(dir: string, scenarios: ScenarioResult[]): void {
  console.log(
    `\nCPU profiles of msnd (${dir}); missed targets: ${
      scenarios
        .filter((s) => s.target.met === false)
        .map((s) => s.id)
        .join(', ') || 'none'
    }`,
  );
  for (const server of readdirSync(dir).sort()) {
    const windowFile = join(dir, server, WINDOW_FILE);
    const windows = existsSync(windowFile) ? (JSON.parse(readFileSync(windowFile, 'utf8')) as [number, number][]) : undefined;
    const summaries = readdirSync(join(dir, server))
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => ({ file: join(dir, server, f), summary: summariseProfile(join(dir, server, f), windows) }));
    const main = summaries.sort((a, b) => msndShare(b.summary) - msndShare(a.summary))[0];
    const scope = windows ? 'measured window only' : 'whole process';
    if (main) console.log(`\n${server} (${scope}): ${main.file}\n${formatProfileSummary(main.summary, 25)}`);
  }
}

function msndShare(summary: ReturnType<typeof summariseProfile>): number {
  return summary.areas.filter((a) => a.name.startsWith('src/')).reduce((n, a) => n + a.ms, 0);
}

function benchSchemas(): BenchContext['pgSchemas'] {
  return {
    msnd: `msnd_bench_${process.pid}`,
    raw: `msnd_bench_raw_${process.pid}`,
    cluster: `msnd_bench_cluster_${process.pid}`,
    logins: `msnd_bench_logins_${process.pid}`,
  };
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        store: { type: 'string' },
        redis: { type: 'string' },
        profile: { type: 'boolean', default: false },
        heap: { type: 'boolean', default: false },
        'msnd-node-options': { type: 'string' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
