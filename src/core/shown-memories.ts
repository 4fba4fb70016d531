// What one session last showed of each FL contact (MSNP5.md 10.2), kept small: an idle session
// holds one for every contact, and a Map of 20 entries alone took about a kilobyte.
import type { Shown } from './bus.ts';
import { sharedString } from './shared-strings.ts';

/** What a session last showed of one FL contact, with the presence sequence number it came with. */
export interface ShownMemory {
  readonly seq: number;
  readonly shown: Shown | null;
}

/** A contact never seen online: one object for every session and contact. */
export const NEVER_SHOWN: ShownMemory = Object.freeze({ seq: 0, shown: null });

/**
 * Handle → ShownMemory in one array, handle and memory side by side ([h0, m0, h1, m1, …]),
 * searched in order (an FL holds at most a few hundred contacts, and a lookup happens once per
 * presence event; a memory is never a string, so indexOf finds handles only). The handles are
 * shared strings (shared-strings.ts): a contact's handle is one string for all its watchers. The
 * memories are often objects shared with other sessions (a presence event, a bus record): they are
 * never changed, only replaced.
 */
export class ShownMemories {
  private entries: (string | ShownMemory)[] = [];

  get size(): number {
    return this.entries.length / 2;
  }

  has(handle: string): boolean {
    return this.entries.indexOf(handle) !== -1;
  }

  get(handle: string): ShownMemory | undefined {
    const i = this.entries.indexOf(handle);
    return i === -1 ? undefined : (this.entries[i + 1] as ShownMemory);
  }

  set(handle: string, memory: ShownMemory): void {
    const i = this.entries.indexOf(handle);
    if (i === -1) this.entries.push(sharedString(handle), memory);
    else this.entries[i + 1] = memory;
  }

  /** Takes these (parallel) arrays as the whole memory, in an array built at its size, with no room to grow. */
  replaceAll(handles: readonly string[], memories: readonly ShownMemory[]): void {
    const entries = new Array<string | ShownMemory>(handles.length * 2);
    for (let i = 0; i < handles.length; i++) {
      entries[2 * i] = sharedString(handles[i]!);
      entries[2 * i + 1] = memories[i]!;
    }
    this.entries = entries;
  }

  delete(handle: string): boolean {
    const i = this.entries.indexOf(handle);
    if (i === -1) return false;
    this.entries.splice(i, 2);
    return true;
  }
}
