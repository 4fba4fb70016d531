// The client's picture of its session: lists, settings, phones, groups and contacts' presence,
// kept up to date from every received line (MSNP5.md 9.4–9.15, 9.29). Names and values stay
// %-encoded exactly as on the wire.
import type { Received } from './received.ts';

export type ListName = 'FL' | 'AL' | 'BL' | 'RL';
export const LIST_NAMES: readonly ListName[] = ['FL', 'AL', 'BL', 'RL'];

export interface Presence {
  status: string;
  name: string;
}

export type ListChange =
  | { kind: 'add'; list: ListName; handle: string; name: string; group?: string; version: number; pushed: boolean }
  | { kind: 'remove'; list: ListName; handle: string; group?: string; version: number; pushed: boolean }
  | { kind: 'rename'; handle: string; name: string; version: number }
  | { kind: 'setting'; setting: 'GTC' | 'BLP'; value: string; version: number }
  /** own PRP (handle = own handle) or a contact's BPR; value '' = unset */
  | { kind: 'phone'; handle: string; property: string; value: string; version: number }
  | { kind: 'group'; groupId: string; name: string | null; version: number }
  /** end of a SYN answer: the single up-to-date line, or the last line of the dump */
  | { kind: 'synced'; version: number; upToDate: boolean }
  /** end of an LST answer outside SYN */
  | { kind: 'listed'; list: ListName; version: number };

export type ModelEvent =
  | { type: 'list'; change: ListChange }
  | { type: 'presence'; handle: string; presence: Presence | null }
  | { type: 'status'; status: string };

type Handler = (args: readonly string[], events: ModelEvent[]) => void;

/** True for the line that ends a SYN dump: the last `LST t RL v i n …` line (i = n, or `0 0`). */
export function isSyncEnd(r: Received): boolean {
  const [, list, , index, total] = r.args;
  return r.name === 'LST' && list === 'RL' && index !== undefined && Number(index) === Number(total);
}

function isListName(token: string | undefined): token is ListName {
  return token === 'FL' || token === 'AL' || token === 'BL' || token === 'RL';
}

/**
 * Applies received lines to the model and reports what changed. Replies to this client and pushes
 * (TrID 0 or none) are handled alike, so lines consumed at the wire level still update the model.
 * Events are not reported for the lines inside a SYN dump; one 'synced' change ends the dump.
 */
export class SessionModel {
  handle = '';
  friendlyName = '';
  /** own status after the last CHG (null before the first one) */
  status: string | null = null;
  version = 0;
  gtc: string | null = null;
  blp: string | null = null;
  /** own PRP values by property (PHH, PHW, PHM, MOB, MBE); '' = unset */
  phones: Record<string, string> = {};
  lists: Record<ListName, Map<string, string>> = {
    FL: new Map(),
    AL: new Map(),
    BL: new Map(),
    RL: new Map(),
  };
  /** BPR values per FL contact; '' = unset */
  contactPhones = new Map<string, Record<string, string>>();
  /** MSNP7: group id → name */
  groups = new Map<string, string>();
  /** MSNP7: FL contact → its group ids */
  contactGroups = new Map<string, string[]>();
  /** contacts seen online (ILN/NLN); absent = offline */
  presence = new Map<string, Presence>();

  /** SYN TrID → the client version it asked with (to tell "up to date" from a dump) */
  #synRequests = new Map<string, number>();
  /** TrID of the SYN whose dump may follow */
  #dumpTrId: string | undefined;
  #inDump = false;
  /** the FL entry the next BPR lines of a dump belong to */
  #lastFlHandle: string | undefined;

  readonly #handlers: Readonly<Record<string, Handler>> = {
    USR: (a) => this.#onUsr(a),
    SYN: (a, e) => this.#onSyn(a, e),
    GTC: (a, e) => this.#onSetting('GTC', a, e),
    BLP: (a, e) => this.#onSetting('BLP', a, e),
    PRP: (a, e) => this.#onPrp(a, e),
    LSG: (a) => this.#onLsg(a),
    LST: (a, e) => this.#onLst(a, e),
    BPR: (a, e) => this.#onBpr(a, e),
    ADD: (a, e) => this.#onAdd(a, e),
    REM: (a, e) => this.#onRem(a, e),
    REA: (a, e) => this.#onRea(a, e),
    CHG: (a, e) => this.#onChg(a, e),
    ILN: ([, status, handle, name], e) => this.#setPresence(handle, status, name, e),
    NLN: ([status, handle, name], e) => this.#setPresence(handle, status, name, e),
    FLN: ([handle], e) => this.#clearPresence(handle, e),
    ADG: ([, v, name, id], e) => this.#setGroup(v, id, name, e),
    REG: ([, v, id, name], e) => this.#setGroup(v, id, name, e),
    RMG: ([, v, id], e) => this.#removeGroup(v, id, e),
  };

  /** Tell the model about a command this client sent (it needs the version a SYN asked with). */
  noteSent(name: string, args: readonly string[]): void {
    const [trId, clientVersion] = args;
    if (name === 'SYN' && trId !== undefined) this.#synRequests.set(trId, Number(clientVersion));
  }

  apply(r: Received): ModelEvent[] {
    const events: ModelEvent[] = [];
    this.#handlers[r.name]?.(r.args, events);
    return events;
  }

  #onUsr([, ok, handle, name]: readonly string[]): void {
    if (ok !== 'OK' || handle === undefined) return;
    this.handle = handle;
    this.friendlyName = name ?? '';
  }

  #onSyn([trId, version, ...rest]: readonly string[], events: ModelEvent[]): void {
    if (trId === undefined || version === undefined || rest.length > 0) return;
    const asked = this.#synRequests.get(trId);
    this.#synRequests.delete(trId);
    this.#setVersion(version);
    if (asked !== undefined && asked === this.version && asked !== 0) {
      events.push({ type: 'list', change: { kind: 'synced', version: this.version, upToDate: true } });
    } else {
      this.#dumpTrId = trId;
    }
  }

  /** True if this line (with this TrID) is part of the SYN dump; the first such line starts the dump. */
  #isDumpLine(trId: string | undefined): boolean {
    if (trId !== undefined && trId === this.#dumpTrId && !this.#inDump) this.#startDump();
    return this.#inDump && trId === this.#dumpTrId;
  }

  #startDump(): void {
    this.#inDump = true;
    this.contactPhones.clear();
    this.contactGroups.clear();
  }

  #endDump(events: ModelEvent[]): void {
    this.#inDump = false;
    this.#dumpTrId = undefined;
    events.push({ type: 'list', change: { kind: 'synced', version: this.version, upToDate: false } });
  }

  #onSetting(setting: 'GTC' | 'BLP', [trId, version, value]: readonly string[], events: ModelEvent[]): void {
    if (version === undefined || value === undefined) return;
    const inDump = this.#isDumpLine(trId);
    this.#setVersion(version);
    if (setting === 'GTC') this.gtc = value;
    else this.blp = value;
    if (!inDump) events.push({ type: 'list', change: { kind: 'setting', setting, value, version: this.version } });
  }

  #onPrp([trId, version, property, value = '']: readonly string[], events: ModelEvent[]): void {
    if (version === undefined || property === undefined) return;
    const inDump = this.#isDumpLine(trId);
    this.#setVersion(version);
    this.phones[property] = value;
    if (!inDump) this.#pushPhone(this.handle, property, value, events);
  }

  #onLsg([trId, version, index, , id, name]: readonly string[]): void {
    if (id === undefined || name === undefined) return;
    this.#isDumpLine(trId);
    this.#setVersion(version);
    if (index === '1') this.groups.clear();
    this.groups.set(id, name);
  }

  #onLst([trId, list, version, index, total, handle, name = '', groupIds]: readonly string[], events: ModelEvent[]): void {
    if (!isListName(list) || index === undefined || total === undefined) return;
    const inDump = this.#isDumpLine(trId);
    this.#setVersion(version);
    if (index === '0' || index === '1') this.lists[list].clear();
    if (handle !== undefined && index !== '0') this.#listEntry(list, handle, name, groupIds);
    if (Number(index) !== Number(total)) return;
    if (inDump && list === 'RL') this.#endDump(events);
    else if (!inDump) events.push({ type: 'list', change: { kind: 'listed', list, version: this.version } });
  }

  #listEntry(list: ListName, handle: string, name: string, groupIds: string | undefined): void {
    this.lists[list].set(handle, name);
    if (list !== 'FL') return;
    this.#lastFlHandle = handle;
    if (groupIds !== undefined) this.contactGroups.set(handle, groupIds.split(','));
  }

  /** `BPR v handle prop {value}`; a BPR without a handle belongs to the preceding FL entry. */
  #onBpr(args: readonly string[], events: ModelEvent[]): void {
    const [version, second] = args;
    const hasHandle = second?.includes('@') ?? false;
    const handle = hasHandle ? second : this.#lastFlHandle;
    const [property, value = ''] = args.slice(hasHandle ? 2 : 1);
    if (handle === undefined || property === undefined) return;
    this.#setVersion(version);
    const phones = this.contactPhones.get(handle) ?? {};
    phones[property] = value;
    this.contactPhones.set(handle, phones);
    if (!this.#inDump) this.#pushPhone(handle, property, value, events);
  }

  #onAdd([trId, list, version, handle, name = '', group]: readonly string[], events: ModelEvent[]): void {
    if (!isListName(list) || handle === undefined) return;
    this.#setVersion(version);
    this.lists[list].set(handle, name);
    if (list === 'FL' && group !== undefined) this.#addToGroup(handle, group);
    const change: ListChange = { kind: 'add', list, handle, name, version: this.version, pushed: trId === '0' };
    events.push({ type: 'list', change: group === undefined ? change : { ...change, group } });
  }

  #onRem([trId, list, version, handle, group]: readonly string[], events: ModelEvent[]): void {
    if (!isListName(list) || handle === undefined) return;
    this.#setVersion(version);
    if (list === 'FL' && group !== undefined) this.#removeFromGroup(handle, group);
    else this.#removeEntry(list, handle, events);
    const change: ListChange = { kind: 'remove', list, handle, version: this.version, pushed: trId === '0' };
    events.push({ type: 'list', change: group === undefined ? change : { ...change, group } });
  }

  /** Leaving FL also ends the contact's presence: the server sends no FLN for it (MSNP5.md 9.9). */
  #removeEntry(list: ListName, handle: string, events: ModelEvent[]): void {
    this.lists[list].delete(handle);
    if (list !== 'FL') return;
    this.contactPhones.delete(handle);
    this.contactGroups.delete(handle);
    this.#clearPresence(handle, events);
  }

  #addToGroup(handle: string, group: string): void {
    const groups = this.contactGroups.get(handle) ?? [];
    if (!groups.includes(group)) groups.push(group);
    this.contactGroups.set(handle, groups);
  }

  /** A contact whose last group is removed is shown in group 0 (MSNP5.md 9.9, msnd decision). */
  #removeFromGroup(handle: string, group: string): void {
    const remaining = (this.contactGroups.get(handle) ?? []).filter((g) => g !== group);
    this.contactGroups.set(handle, remaining.length > 0 ? remaining : ['0']);
  }

  #onRea([, version, handle, name]: readonly string[], events: ModelEvent[]): void {
    if (handle === undefined || name === undefined) return;
    this.#setVersion(version);
    if (handle.toLowerCase() === this.handle.toLowerCase()) this.friendlyName = name;
    for (const list of LIST_NAMES) {
      if (this.lists[list].has(handle)) this.lists[list].set(handle, name);
    }
    events.push({ type: 'list', change: { kind: 'rename', handle, name, version: this.version } });
  }

  #onChg([, status]: readonly string[], events: ModelEvent[]): void {
    if (status === undefined) return;
    this.status = status;
    events.push({ type: 'status', status });
  }

  #setPresence(handle: string | undefined, status: string | undefined, name: string | undefined, events: ModelEvent[]): void {
    if (handle === undefined || status === undefined) return;
    const presence = { status, name: name ?? '' };
    this.presence.set(handle, presence);
    events.push({ type: 'presence', handle, presence });
  }

  #clearPresence(handle: string | undefined, events: ModelEvent[]): void {
    if (handle === undefined || !this.presence.delete(handle)) return;
    events.push({ type: 'presence', handle, presence: null });
  }

  #setGroup(version: string | undefined, id: string | undefined, name: string | undefined, events: ModelEvent[]): void {
    if (id === undefined || name === undefined) return;
    this.#setVersion(version);
    this.groups.set(id, name);
    events.push({ type: 'list', change: { kind: 'group', groupId: id, name, version: this.version } });
  }

  /** msnd moves contacts that were only in the removed group to group 0 (MSNP5.md 9.29, D-11). */
  #removeGroup(version: string | undefined, id: string | undefined, events: ModelEvent[]): void {
    if (id === undefined) return;
    this.#setVersion(version);
    this.groups.delete(id);
    for (const [handle, groupIds] of this.contactGroups) {
      if (groupIds.includes(id)) this.#removeFromGroup(handle, id);
    }
    events.push({ type: 'list', change: { kind: 'group', groupId: id, name: null, version: this.version } });
  }

  #pushPhone(handle: string, property: string, value: string, events: ModelEvent[]): void {
    events.push({ type: 'list', change: { kind: 'phone', handle, property, value, version: this.version } });
  }

  #setVersion(token: string | undefined): void {
    const version = Number(token);
    if (token !== undefined && Number.isSafeInteger(version)) this.version = version;
  }
}
