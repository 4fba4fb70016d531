// One copy of equal strings that many sessions hold (contacts' handles): every session reads its
// contacts from the store or the bus as strings of its own, 20 copies of a handle for 20 watchers.

/**
 * The one string equal to `text` that V8 keeps as a property name: names live in V8's string
 * table, which holds them weakly, so a string no session holds any more is collected as usual
 * (no table of our own to grow or to clean). For property-like strings only: a canonical
 * array index ("12") comes back as a new string, still equal.
 */
export function sharedString(text: string): string {
  scratch[text] = 0;
  for (const name in scratch) {
    delete scratch[name];
    return name;
  }
  return text;
}

/**
 * Where the names are made: a dictionary-mode object (no prototype), emptied after each use. A new
 * object literal per call, `{ [text]: 0 }`, gave each new handle a hidden class of its own, twice
 * as slow (bench logins --profile).
 */
const scratch: Record<string, number> = Object.create(null);
