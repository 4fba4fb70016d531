import type { PresenceRecord, PresenceRecords, Shown } from '../../core/bus.ts';
import type { RedisLink } from './link.ts';
import { GET_PRESENCE, SET_PRESENCE } from './scripts.ts';

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
    const found = new Map<string, PresenceRecord>();
    if (handles.length === 0) return found;
    const keys = handles.map((handle) => this.link.key('presence', handle));
    const fields = (await this.link.guard(this.link.run(GET_PRESENCE, keys, []))) as (string | null)[];
    handles.forEach((handle, i) => {
      const seq = fields[3 * i];
      if (!seq) return;
      const status = fields[3 * i + 1];
      const name = fields[3 * i + 2];
      const shown = status ? { status: status as Shown['status'], name: name ?? '' } : null;
      found.set(handle, { seq: Number(seq), shown });
    });
    return found;
  }
}
