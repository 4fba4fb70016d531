// Memory of the process this runs in, after full garbage collections (needs --expose-gc).
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
  return { rss, heapUsed, heapTotal, external, arrayBuffers, spaces };
}

/** Writes a heap snapshot (after GC) to `file`. */
export async function heapSnapshot(file: string): Promise<string> {
  await measureMemory();
  return writeHeapSnapshot(file);
}
