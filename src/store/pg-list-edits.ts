// ADD and REM of a contact on PostgreSQL in one round trip each: the steps of core/list-edits.ts
// (addOnTx, removeOnTx) as server-side functions (migration 0006; since 0008 the store calls their
// leaner successors, pg-list-locked.ts, through the batch function of pg-list-batch.ts), and the
// rows they answer with as core's results. Eleven statements and their round trips per FL change
// were what kept PostgreSQL's list changes at a tenth of its commit rate (issue 15).
// test/store/list-edits-suite.ts holds both engines to the same results.
import { sql, type Kysely } from 'kysely';
import type { Outcome } from '../core/failure.ts';
import type { ContactAdd, ContactAdded, ContactRemoved } from '../core/list-edits.ts';
import type { ContactEntry, ListMembership, YesNo } from '../core/types.ts';
import { ErrorCode, type ErrorCodeValue } from '../protocol/errors.ts';

// Shared steps: the stored form of a record (as saveContact writes it) and the version bump (8.4).
const HELPERS = [
  `
create or replace function msnd_save_contact(p_owner integer, p_contact integer, p_fl boolean, p_al boolean,
  p_bl boolean, p_rl boolean, p_name text, p_groups integer[]) returns void language plpgsql as $$
declare
  stored text := case when not p_fl then '' when cardinality(p_groups) = 0 then '0' else array_to_string(p_groups, ',') end;
begin
  if not (p_fl or p_al or p_bl or p_rl) then
    delete from contacts where owner_id = p_owner and contact_id = p_contact;
    return;
  end if;
  insert into contacts (owner_id, contact_id, fl, al, bl, rl, name, group_ids, seq)
  values (p_owner, p_contact, p_fl, p_al, p_bl, p_rl, p_name, stored,
    (select coalesce(max(seq), 0) + 1 from contacts where owner_id = p_owner))
  on conflict (owner_id, contact_id) do update
    set fl = excluded.fl, al = excluded.al, bl = excluded.bl, rl = excluded.rl, name = excluded.name, group_ids = excluded.group_ids;
end $$`,
  `
create or replace function msnd_bump_version(p_id integer) returns bigint language sql as $$
  update accounts set list_version = case when list_version >= 4294967295 then 1 else list_version + 1 end
  where id = p_id returning list_version
$$`,
  `
create or replace function msnd_groups(p_stored text) returns integer[] language sql immutable as $$
  select coalesce(array_agg(g::integer order by g::integer), '{}') from unnest(string_to_array(p_stored, ',')) g where g <> ''
$$`,
];

// What msnd_add_contact and msnd_remove_contact (0006) share with their successors of 0008
// (pg-list-locked.ts): the parameters and columns, and ADD's first steps (the contact account
// `c` by handle, the group checked) and the contact's fields it answers with. Shipped migrations are
// made of them: changing them changes what 0006 and 0008 create.
export const ADD_PARAMETERS = `(p_owner integer, p_adder_name text, p_list text, p_handle text,
  p_name text, p_group integer, p_fl_limit integer, p_other_limit integer,
  out status integer, out version bigint, out contact_id integer, out handle text,
  out phh text, out phw text, out phm text, out mob text, out mbe text,
  out old_fl boolean, out old_al boolean, out old_bl boolean, out old_rl boolean,
  out fl boolean, out al boolean, out bl boolean, out rl boolean, out groups integer[],
  out reverse bigint, out blp text, out viewer_on_al boolean, out viewer_on_bl boolean, out membership_only boolean)`;
export const REMOVE_PARAMETERS = `(p_owner integer, p_list text, p_handle text, p_group integer,
  out status integer, out version bigint, out contact_id integer, out handle text, out name text,
  out fl boolean, out al boolean, out bl boolean, out rl boolean, out groups integer[],
  out reverse bigint, out membership_only boolean)`;
export const ADD_LOOKUP = `  status := 0;
  membership_only := false;
  select * into c from accounts a where a.handle = p_handle;
  if not found then status := ${ErrorCode.INVALID_USER}; return; end if;
  if p_group is not null and not exists (select 1 from contact_groups g where g.account_id = p_owner and g.group_id = p_group) then
    status := ${ErrorCode.INVALID_GROUP}; return;
  end if;
`;
/** REM with a group (MSNP7): the group checked and left; `groups` becomes what is left, at least group 0. */
export const REMOVE_FROM_GROUP = `    if not exists (select 1 from contact_groups g where g.account_id = p_owner and g.group_id = p_group) then
      status := ${ErrorCode.INVALID_GROUP}; return;
    end if;
    if not (p_group = any (groups)) then status := ${ErrorCode.NOT_IN_GROUP}; return; end if;
    groups := coalesce(array_remove(groups, p_group), '{}');
    if cardinality(groups) = 0 then groups := array[0]; end if;
`;
export const ADD_CONTACT_FIELDS = `  contact_id := c.id; handle := c.handle;
  phh := c.phh; phw := c.phw; phm := c.phm; mob := c.mob; mbe := c.mbe;
`;

// status: 0 done, else the error code. Then what core/list-edits.ts's ContactAdded holds.
const ADD = `
create or replace function msnd_add_contact${ADD_PARAMETERS}
language plpgsql as $$
declare
  c accounts%rowtype;
  r contacts%rowtype;
  m contacts%rowtype;
  has_r boolean;
  has_m boolean;
begin
${ADD_LOOKUP}  perform 1 from accounts a where a.id in (p_owner, c.id) order by a.id for update;
${ADD_CONTACT_FIELDS}  select * into r from contacts x where x.owner_id = p_owner and x.contact_id = c.id;
  has_r := found;
  old_fl := coalesce(r.fl, false); old_al := coalesce(r.al, false); old_bl := coalesce(r.bl, false); old_rl := coalesce(r.rl, false);
  fl := old_fl; al := old_al; bl := old_bl; rl := old_rl;
  groups := case when has_r then msnd_groups(r.group_ids) else '{}' end;
  if p_list = 'FL' and old_fl and p_group is not null and not (p_group = any (groups)) then
    groups := (select array_agg(g order by g) from unnest(groups || p_group) g);
    perform msnd_save_contact(p_owner, c.id, fl, al, bl, rl, p_name, groups);
    version := msnd_bump_version(p_owner);
    membership_only := true;
    return;
  end if;
  if (p_list = 'FL' and old_fl) or (p_list = 'AL' and old_al) or (p_list = 'BL' and old_bl) then
    status := ${ErrorCode.ALREADY_THERE}; return;
  end if;
  if (p_list = 'AL' and old_bl) or (p_list = 'BL' and old_al) then status := ${ErrorCode.ALREADY_IN_OPPOSITE_LIST}; return; end if;
  if (select count(*) from contacts x where x.owner_id = p_owner and case p_list when 'FL' then x.fl when 'AL' then x.al else x.bl end)
      >= (case when p_list = 'FL' then p_fl_limit else p_other_limit end) then
    status := ${ErrorCode.LIST_FULL}; return;
  end if;
  if p_list = 'FL' and (select count(*) from contacts x where x.owner_id = c.id and x.rl) >= p_other_limit then
    status := ${ErrorCode.LIST_FULL}; return;
  end if;
  fl := fl or p_list = 'FL'; al := al or p_list = 'AL'; bl := bl or p_list = 'BL';
  if p_list = 'FL' then groups := array[coalesce(p_group, 0)]; end if;
  perform msnd_save_contact(p_owner, c.id, fl, al, bl, rl, p_name, groups);
  version := msnd_bump_version(p_owner);
  if p_list <> 'FL' then return; end if;
  select * into m from contacts x where x.owner_id = c.id and x.contact_id = p_owner;
  has_m := found;
  perform msnd_save_contact(c.id, p_owner, coalesce(m.fl, false), coalesce(m.al, false), coalesce(m.bl, false), true,
    case when has_m then m.name else p_adder_name end, case when has_m then msnd_groups(m.group_ids) else '{}' end);
  reverse := msnd_bump_version(c.id);
  blp := c.blp; viewer_on_al := coalesce(m.al, false); viewer_on_bl := coalesce(m.bl, false);
end $$
`;

const REMOVE = `
create or replace function msnd_remove_contact${REMOVE_PARAMETERS}
language plpgsql as $$
declare
  c accounts%rowtype;
  r contacts%rowtype;
  m contacts%rowtype;
begin
  status := 0;
  membership_only := false;
  select * into c from accounts a where a.handle = p_handle;
  if not found then status := ${ErrorCode.NOT_ON_LIST}; return; end if;
  perform 1 from accounts a where a.id in (p_owner, c.id) order by a.id for update;
  select * into r from contacts x where x.owner_id = p_owner and x.contact_id = c.id;
  if not found or not (case p_list when 'FL' then r.fl when 'AL' then r.al else r.bl end) then
    status := ${ErrorCode.NOT_ON_LIST}; return;
  end if;
  contact_id := c.id; handle := c.handle; name := r.name;
  fl := r.fl; al := r.al; bl := r.bl; rl := r.rl; groups := msnd_groups(r.group_ids);
  if p_group is not null then
${REMOVE_FROM_GROUP}    perform msnd_save_contact(p_owner, c.id, fl, al, bl, rl, name, groups);
    version := msnd_bump_version(p_owner);
    membership_only := true;
    return;
  end if;
  fl := fl and p_list <> 'FL'; al := al and p_list <> 'AL'; bl := bl and p_list <> 'BL';
  if p_list = 'FL' then groups := '{}'; end if;
  perform msnd_save_contact(p_owner, c.id, fl, al, bl, rl, name, groups);
  version := msnd_bump_version(p_owner);
  if p_list <> 'FL' then return; end if;
  select * into m from contacts x where x.owner_id = c.id and x.contact_id = p_owner;
  if not found or not m.rl then return; end if;
  perform msnd_save_contact(c.id, p_owner, m.fl, m.al, m.bl, false, m.name, msnd_groups(m.group_ids));
  reverse := msnd_bump_version(c.id);
end $$
`;

/** The migration step that creates the functions (PostgreSQL only). */
export async function createListEditFunctions(db: Kysely<any>): Promise<void> {
  for (const text of [...HELPERS, ADD, REMOVE]) await sql.raw(text).execute(db);
}

/** What msnd_add_contact and msnd_remove_contact both return: the outcome and the entry as it is now. */
interface EditRow {
  status: number;
  version: number;
  contact_id: number;
  handle: string;
  fl: boolean;
  al: boolean;
  bl: boolean;
  rl: boolean;
  groups: number[];
  reverse: number | null;
  membership_only: boolean;
}

export interface AddRow extends EditRow {
  phh: string;
  phw: string;
  phm: string;
  mob: YesNo;
  mbe: YesNo;
  old_fl: boolean;
  old_al: boolean;
  old_bl: boolean;
  old_rl: boolean;
  blp: 'AL' | 'BL' | null;
  viewer_on_al: boolean | null;
  viewer_on_bl: boolean | null;
}

export interface RemoveRow extends EditRow {
  name: string;
}

/** What msnd_add_contact returned, as core/list-edits.ts's addOnTx would. */
export function addedFrom(row: AddRow, req: ContactAdd): Outcome<ContactAdded> {
  if (row.status !== 0) return { error: row.status as ErrorCodeValue };
  const lists: ListMembership = { FL: row.fl, AL: row.al, BL: row.bl, RL: row.rl };
  const entry: ContactEntry = { contactId: row.contact_id, handle: row.handle, name: req.name, lists, groups: row.groups };
  return {
    ok: true,
    version: row.version,
    contact: { id: row.contact_id, handle: row.handle, phones: { PHH: row.phh, PHW: row.phw, PHM: row.phm, MOB: row.mob, MBE: row.mbe } },
    entry,
    ownerRecord: row.membership_only ? { FL: row.old_fl, AL: row.old_al, BL: row.old_bl, RL: row.old_rl } : lists,
    membershipOnly: row.membership_only,
    ...(row.reverse !== null && {
      reverse: row.reverse,
      facts: { blp: row.blp!, viewerOnAL: row.viewer_on_al === true, viewerOnBL: row.viewer_on_bl === true },
    }),
  };
}

/** What msnd_remove_contact returned, as core/list-edits.ts's removeOnTx would. */
export function removedFrom(row: RemoveRow): Outcome<ContactRemoved> {
  if (row.status !== 0) return { error: row.status as ErrorCodeValue };
  const entry: ContactEntry = {
    contactId: row.contact_id,
    handle: row.handle,
    name: row.name,
    lists: { FL: row.fl, AL: row.al, BL: row.bl, RL: row.rl },
    groups: row.groups,
  };
  return {
    ok: true,
    version: row.version,
    entry,
    membershipOnly: row.membership_only,
    ...(row.reverse !== null && { reverse: row.reverse }),
  };
}
