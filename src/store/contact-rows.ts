// A contact record as read with the contact's account: the columns selected and the entry made of them.
import type { ContactWithFacts, Watcher } from '../core/store.ts';
import type { ContactEntry, ListMembership } from '../core/types.ts';
import type { SelectedValues } from './prepared.ts';
import type { AccountsTable, ContactsTable, Flag } from './schema.ts';

/** Of `contacts as c` joined with the contact's `accounts as a`. */
export const CONTACT_COLUMNS = ['c.contact_id', 'a.handle', 'c.name', 'c.fl', 'c.al', 'c.bl', 'c.rl', 'c.group_ids'] as const;

/** After CONTACT_COLUMNS: of the contact's account `a` and of its own record `r` of the owner (left joined). */
export const FACT_COLUMNS = ['a.blp', 'a.phh', 'a.phw', 'a.phm', 'a.mob', 'a.mbe', 'r.al as r_al', 'r.bl as r_bl'] as const;

export const WATCHER_COLUMNS = ['a.handle', 'c.al', 'c.bl'] as const;

export type ContactRow = Pick<ContactsTable, 'contact_id' | 'name' | 'fl' | 'al' | 'bl' | 'rl' | 'group_ids'> & { handle: string };

type FactsRow = Pick<AccountsTable, 'blp' | 'phh' | 'phw' | 'phm' | 'mob' | 'mbe'> & { r_al: Flag | null; r_bl: Flag | null };

export function toContactEntry(row: ContactRow): ContactEntry {
  return contactEntryOf([row.contact_id, row.handle, row.name, row.fl, row.al, row.bl, row.rl, row.group_ids]);
}

export function contactEntryOf(values: SelectedValues<ContactRow, typeof CONTACT_COLUMNS>): ContactEntry {
  const [contactId, handle, name, fl, al, bl, rl, groupIds] = values;
  return { contactId, handle, name, lists: listsOf(fl, al, bl, rl), groups: groupsOf(groupIds) };
}

export type ContactWithFactsValues = SelectedValues<ContactRow & FactsRow, [...typeof CONTACT_COLUMNS, ...typeof FACT_COLUMNS]>;

export function contactWithFactsOf(values: ContactWithFactsValues): ContactWithFacts {
  const [contactId, handle, name, fl, al, bl, rl, groupIds, blp, PHH, PHW, PHM, MOB, MBE, viewerOnAL, viewerOnBL] = values;
  return {
    contactId,
    handle,
    name,
    lists: listsOf(fl, al, bl, rl),
    groups: groupsOf(groupIds),
    phones: { PHH, PHW, PHM, MOB, MBE },
    facts: { blp, viewerOnAL: Boolean(viewerOnAL), viewerOnBL: Boolean(viewerOnBL) },
  };
}

export function watcherOf(values: SelectedValues<ContactRow, typeof WATCHER_COLUMNS>): Watcher {
  const [handle, al, bl] = values;
  return { handle, onAL: Boolean(al), onBL: Boolean(bl) };
}

function listsOf(fl: Flag, al: Flag, bl: Flag, rl: Flag): ListMembership {
  return { FL: Boolean(fl), AL: Boolean(al), BL: Boolean(bl), RL: Boolean(rl) };
}

function groupsOf(groupIds: string): number[] {
  return groupIds === '' ? [] : groupIds.split(',').map(Number);
}
