// Memory of the process this runs in, after full garbage collections (needs --expose-gc).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** V8's heap spaces (new, old, code, large objects…): bytes committed and bytes used by live objects */
  spaces: Record<string, { size: number; used: number }>;
  /** Resident bytes by kind of mapping (/proc/self/smaps on Linux): malloc's `[heap]`, other anonymous memory (V8's pages, malloc's arenas, thread stacks), files */
  resident: Record<string, number>;
}

/** Resident bytes of the process by kind of mapping; empty where /proc/self/smaps is not there. */
function residentByKind(): Record<string, number> {
  let smaps: string;
  try {
    smaps = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return {};
  }
  const resident: Record<string, number> = {};
  let kind = 'anonymous';
  for (const line of smaps.split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const name = mapping[1] ?? '';
      kind = name === '' ? 'anonymous' : name.startsWith('[') ? name : 'files';
    } else if (line.startsWith('Rss:')) {
      resident[kind] = (resident[kind] ?? 0) + Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  return resident;
}

export async function measureMemory(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc to measure memory');
  // Read right after the last GC: what the process allocates in the pause after it (a busy server
  // allocates megabytes in 50 ms) is not what it holds.
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(50);
    gc();
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  const spaces: MemorySample['spaces'] = {};
  for (const space of getHeapSpaceStatistics()) {
    spaces[space.space_name] = { size: space.space_size, used: space.space_used_size };
  }
  return { rss, heapUsed, heapTotal, external, arrayBuffers, spaces, resident: residentByKind() };
}

/** Writes a heap snapshot (after GC) to `file`. */
export async function heapSnapshot(file: string): Promise<string> {
  await measureMemory();
  return writeHeapSnapshot(file);
}
