import type { PresenceRecord, PresenceRecords, Shown } from '../../core/bus.ts';
import { execAll, type RedisLink } from './link.ts';
import { SET_PRESENCE } from './scripts.ts';

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
    const reads = this.link.redis.pipeline();
    for (const handle of handles) reads.hgetall(this.link.key('presence', handle));
    const results = await this.link.guard(execAll(reads));
    handles.forEach((handle, i) => {
      const fields = results[i] as Record<string, string> | undefined;
      if (!fields?.seq) return;
      const shown = fields.status ? { status: fields.status as Shown['status'], name: fields.name ?? '' } : null;
      found.set(handle, { seq: Number(fields.seq), shown });
    });
    return found;
  }
}
