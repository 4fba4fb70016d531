// One copy of equal strings that many sessions hold (contacts' handles): every session reads its
// contacts from the store or the bus as strings of its own, 20 copies of a handle for 20 watchers.

/**
 * Equal strings as one: the first one seen, while the table remembers it. The table is bounded: when
 * full it starts again empty, and the strings it forgot stay with whoever holds them (at worst two
 * copies of a handle from then on, not one per watcher). A Map lookup costs a sixth of what making
 * the string a V8 property name did (set, enumerate and delete it on a dictionary object: 300 ns
 * against 50 in a micro-benchmark, for the 22 strings of a sign-in).
 */
export class SharedStrings {
  private readonly strings = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.strings.size;
  }

  shared(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    if (this.strings.size >= this.capacity) this.strings.clear();
    this.strings.set(text, text);
    return text;
  }
}

/** 65,536 handles: about 4 MB of handles of 30 characters, 10 MB of the longest (129). */
const handles = new SharedStrings(1 << 16);

/** The process's shared copy of `text` (see SharedStrings). */
export function sharedString(text: string): string {
  return handles.shared(text);
}
