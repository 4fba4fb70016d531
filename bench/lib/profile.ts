// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by file.
//   node --import tsx bench/lib/profile.ts FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './ipc.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  ms: number;
  /** share of the busy (non-idle) time */
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  functions: SelfTime[];
  files: SelfTime[];
  /** by area: msnd's own layers, each dependency, node internals, GC */
  areas: SelfTime[];
  /** msnd's own functions (src/) with their callees */
  inclusive: SelfTime[];
}

/**
 * Self time per function, file and area. With `windows` ([from, to] in the monotonic µs of the
 * profile's timestamps), only samples inside them count: start-up and set-up stay out.
 */
export function summariseProfile(file: string, windows?: [number, number][]): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (windows && !windows.some(([from, to]) => t >= from && t <= to)) return;
    self.set(id, (self.get(id) ?? 0) + delta);
  });
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  let totalUs = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    totalUs += us;
    if (frame.functionName === '(idle)') continue;
    busyUs += us;
    const where = location(frame.url);
    const fn = `${frame.functionName || '(anonymous)'} ${where ? `${where}:${frame.lineNumber + 1}` : ''}`.trim();
    add(functions, fn, us);
    add(files, where || frame.functionName, us);
    add(areas, area(where, frame.functionName), us);
  }
  const inclusive = inclusiveByFunction(profile, byId, self, (frame) => location(frame.url).startsWith('src/'));
  const rank = (m: Map<string, number>): SelfTime[] =>
    [...m.entries()].map(([name, us]) => ({ name, ms: us / 1000, pct: (us / busyUs) * 100 })).sort((a, b) => b.ms - a.ms);
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    functions: rank(functions),
    files: rank(files),
    areas: rank(areas),
    inclusive: rank(inclusive),
  };
}

/**
 * Total time (self and callees) of the functions `selected` picks, per function; a call nested in
 * another call of the same function counts once. Async functions count until their first await:
 * what runs after it starts a new stack.
 */
function inclusiveByFunction(
  profile: CpuProfile,
  byId: Map<number, ProfileNode>,
  self: Map<number, number>,
  selected: (frame: ProfileNode['callFrame']) => boolean,
): Map<string, number> {
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const totals = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (!selected(frame)) continue;
      const key = `${frame.functionName || '(anonymous)'} ${location(frame.url)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(totals, key, us);
    }
  }
  return totals;
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

/** A repository-relative path, `node:…`, or '' for V8's own entries ((garbage collector), (program)). */
function location(url: string): string {
  if (url === '') return '';
  // A compiled tree's files (.tmp/bench.PID/src/…, scripts/run-bench.js) stand for their sources.
  if (url.startsWith('file://')) return relative(REPO_ROOT, fileURLToPath(url)).replace(/^\.tmp\/bench\.\d+\//, '');
  return url;
}

function area(where: string, functionName: string): string {
  if (where === '') return functionName.startsWith('(') ? functionName : '(native)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (dependency) return dependency[1]!;
  const vendored = /^vendor\/(.+)\.js$/.exec(where);
  if (vendored) return vendored[1]!;
  if (where.startsWith('node:')) return 'node internals';
  const layer = /^(src\/[^/]+|bench|test)/.exec(where);
  return layer ? layer[1]! : where;
}

export function formatProfileSummary(summary: ProfileSummary, top = 20): string {
  const row = (s: SelfTime): string => `    ${s.pct.toFixed(1).padStart(5)}%  ${s.ms.toFixed(0).padStart(7)} ms  ${s.name}`;
  return [
    `  busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms profiled`,
    '  self time by area:',
    ...summary.areas.slice(0, 12).map(row),
    '  self time by file:',
    ...summary.files.slice(0, top).map(row),
    '  self time by function:',
    ...summary.functions.slice(0, top).map(row),
    "  total time (with callees) of msnd's functions:",
    ...summary.inclusive.slice(0, top).map(row),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top, windowFile] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node --import tsx bench/lib/profile.ts FILE.cpuprofile [top] [windows.json]');
    process.exit(2);
  }
  const windows = windowFile ? (JSON.parse(readFileSync(windowFile, 'utf8')) as [number, number][]) : undefined;
  console.log(formatProfileSummary(summariseProfile(file, windows), Number(top ?? 30)));
}
