// Memory of the process this runs in, after full garbage collections (needs --expose-gc).
import { setTimeout as sleep } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
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
  return { rss, heapUsed, heapTotal, external, arrayBuffers };
}

/** Writes a heap snapshot (after GC) to `file`. */
export async function heapSnapshot(file: string): Promise<string> {
  await measureMemory();
  return writeHeapSnapshot(file);
}
