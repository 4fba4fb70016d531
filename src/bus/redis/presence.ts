import type { PresenceRecord, PresenceRecords, RecordsAndSeq, Shown } from '../../core/bus.ts';
import type { RedisLink } from './link.ts';
import { GET_AND_SET_PRESENCE, GET_PRESENCE, SET_PRESENCE } from './scripts.ts';

/** Presence records in Redis: one hash per user online (status, name, seq); an offline one goes (scripts.ts). */
export class RedisPresence implements PresenceRecords {
  constructor(private readonly link: RedisLink) {}

  async set(handle: string, shown: Shown | null): Promise<number> {
    // seq keeps growing across sign-ins (as in one process) although an offline record goes: scripts.ts.
    const key = this.link.key('presence', handle);
    const seq = await this.link.guard(this.link.run(SET_PRESENCE, [key], [shown?.status ?? '', shown?.name ?? '']));
    return Number(seq);
  }

  async get(handles: readonly string[]): Promise<Map<string, PresenceRecord>> {
    if (handles.length === 0) return new Map();
    const fields = (await this.link.guard(this.link.run(GET_PRESENCE, this.keys(handles), []))) as (string | null)[];
    return recordsOf(handles, fields, 0);
  }

  async getAndSet(handles: readonly string[], handle: string, shown: Shown | null): Promise<RecordsAndSeq> {
    const keys = [this.link.key('presence', handle), ...this.keys(handles)];
    const reply = (await this.link.guard(this.link.run(GET_AND_SET_PRESENCE, keys, [shown?.status ?? '', shown?.name ?? '']))) as [
      number,
      ...(string | null)[],
    ];
    return { records: recordsOf(handles, reply, 1), seq: Number(reply[0]) };
  }

  private keys(handles: readonly string[]): string[] {
    return handles.map((handle) => this.link.key('presence', handle));
  }
}

/** The records in a script's reply: seq, status and name of each handle in turn, from `offset`. */
function recordsOf(handles: readonly string[], fields: readonly (string | number | null)[], offset: number): Map<string, PresenceRecord> {
  const found = new Map<string, PresenceRecord>();
  handles.forEach((handle, i) => {
    const seq = fields[offset + 3 * i];
    if (!seq) return;
    const status = fields[offset + 3 * i + 1];
    const name = fields[offset + 3 * i + 2];
    const shown = status ? { status: status as Shown['status'], name: String(name ?? '') } : null;
    found.set(handle, { seq: Number(seq), shown });
  });
  return found;
}
