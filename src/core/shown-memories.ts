// What one session last showed of each FL contact (MSNP5.md 10.2), kept small: an idle session
// holds one for every contact, and a Map of 20 entries alone took about a kilobyte.
import type { Shown } from './bus.ts';

/** What a session last showed of one FL contact, with the presence sequence number it came with. */
export interface ShownMemory {
  readonly seq: number;
  readonly shown: Shown | null;
}

/**
 * Handle → ShownMemory in two parallel arrays, searched in order (an FL holds at most a few hundred
 * contacts, and a lookup happens once per presence event). The memories are often objects shared
 * with other sessions (a presence event, a bus record): they are never changed, only replaced.
 */
export class ShownMemories {
  private handles: string[] = [];
  private memories: ShownMemory[] = [];

  get size(): number {
    return this.handles.length;
  }

  has(handle: string): boolean {
    return this.handles.indexOf(handle) !== -1;
  }

  get(handle: string): ShownMemory | undefined {
    const i = this.handles.indexOf(handle);
    return i === -1 ? undefined : this.memories[i];
  }

  /** `handle` is kept as given: callers pass the contact's own string when they have it (an event's), which sessions then share. */
  set(handle: string, memory: ShownMemory): void {
    const i = this.handles.indexOf(handle);
    if (i === -1) {
      this.handles.push(handle);
      this.memories.push(memory);
    } else {
      this.handles[i] = handle;
      this.memories[i] = memory;
    }
  }

  /** Takes these (parallel) arrays as the whole memory: arrays built at their size, with no room to grow. */
  replaceAll(handles: string[], memories: ShownMemory[]): void {
    this.handles = handles;
    this.memories = memories;
  }

  delete(handle: string): boolean {
    const i = this.handles.indexOf(handle);
    if (i === -1) return false;
    this.handles.splice(i, 1);
    this.memories.splice(i, 1);
    return true;
  }
}
