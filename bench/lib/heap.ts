// Summarises V8 heap snapshots (v8.writeHeapSnapshot): retained objects grouped by kind and
// constructor, and the difference between two snapshots per added session.
//   node --import tsx bench/lib/heap.ts BEFORE.heapsnapshot AFTER.heapsnapshot SESSIONS [top]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  name: string;
  count: number;
  bytes: number;
}

/** Object counts and self sizes by `kind:name` (for objects, the constructor's name). */
export function heapGroups(file: string): Map<string, HeapGroup> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    const rawName =
      type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : snapshot.strings[snapshot.nodes[i + nameAt]!]!;
    const name = `${type}${rawName ? `:${rawName.slice(0, 60)}` : ''}`;
    const group = groups.get(name) ?? { name, count: 0, bytes: 0 };
    group.count++;
    group.bytes += snapshot.nodes[i + sizeAt]!;
    groups.set(name, group);
  }
  return groups;
}

/** What `after` holds more than `before`, per session, largest first. */
export function heapGrowthPerSession(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>, sessions: number): HeapGroup[] {
  const rows: HeapGroup[] = [];
  for (const [name, a] of after) {
    const b = before.get(name) ?? { count: 0, bytes: 0 };
    rows.push({ name, count: (a.count - b.count) / sessions, bytes: (a.bytes - b.bytes) / sessions });
  }
  return rows.sort((x, y) => y.bytes - x.bytes);
}

export function formatHeapGrowth(rows: HeapGroup[], top = 25): string {
  const total = rows.reduce((n, r) => n + r.bytes, 0);
  return [
    `  heap growth per session: ${total.toFixed(0)} bytes (self sizes, after GC)`,
    ...rows.slice(0, top).map((r) => `    ${r.bytes.toFixed(0).padStart(7)} B  ${r.count.toFixed(2).padStart(7)} ×  ${r.name}`),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [before, after, sessions, top] = process.argv.slice(2);
  if (!before || !after || !sessions) {
    console.error('usage: node --import tsx bench/lib/heap.ts BEFORE.heapsnapshot AFTER.heapsnapshot SESSIONS [top]');
    process.exit(2);
  }
  console.log(formatHeapGrowth(heapGrowthPerSession(heapGroups(before), heapGroups(after), Number(sessions)), Number(top ?? 30)));
}
