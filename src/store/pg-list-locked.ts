// ADD and REM on PostgreSQL with fewer statements per change (issue 15): the bodies of
// msnd_add_contact and msnd_remove_contact (pg-list-edits.ts) as functions that expect both
// accounts already locked, so that a batch (pg-list-batch.ts), which locks all its accounts in one
// statement first, no longer locks them again per change. Per change they also read the owner's
// records once (the record, the list's count and the last seq in one pass), write each record with
// the one INSERT, UPDATE or DELETE it needs instead of a generic upsert function, and bump both
// versions in one UPDATE. The backend's CPU per statement, not the rows, is what these save.
import { sql, type Kysely } from 'kysely';
import { ErrorCode } from '../protocol/errors.ts';
import { editContactsFunction } from './pg-list-batch.ts';
import { ADD_CONTACT_FIELDS, ADD_LOOKUP, ADD_PARAMETERS, REMOVE_FROM_GROUP, REMOVE_PARAMETERS } from './pg-list-edits.ts';

// How a record's groups are stored (msnd_save_contact's rule, 0006): only FL records have groups,
// at least group 0. Over the function's variables fl and groups.
const STORED_GROUPS = `case when not fl then '' when cardinality(groups) = 0 then '0' else array_to_string(groups, ',') end`;

// Both versions in one statement; the account that is not p_second (or all of them when it is
// null) gets p_first's bump. Rows are already locked by the caller, in id order.
const BUMP_VERSIONS = `
create or replace function msnd_bump_versions(p_first integer, p_second integer, out first_version bigint, out second_version bigint)
language plpgsql as $$
begin
  with bumped as (
    update accounts set list_version = case when list_version >= 4294967295 then 1 else list_version + 1 end
    where id = p_first or id = p_second returning id, list_version)
  select max(b.list_version) filter (where b.id = p_first), max(b.list_version) filter (where b.id = p_second)
  into first_version, second_version from bumped b;
end $$`;

// status: 0 done, else the error code; the same columns as msnd_add_contact (0006).
const ADD_LOCKED = `
create or replace function msnd_add_contact_locked${ADD_PARAMETERS}
language plpgsql as $$
#variable_conflict use_variable
declare
  c accounts%rowtype;
  has_r boolean;
  stored_groups text;
  on_list integer;
  last_seq integer;
  m_fl boolean; m_al boolean; m_bl boolean; m_rl boolean;
  contact_rl integer;
  contact_last_seq integer;
begin
${ADD_LOOKUP}${ADD_CONTACT_FIELDS}  -- One pass over the owner's records: this contact's, how many are on the list, the last seq.
  select bool_or(x.fl) filter (where x.contact_id = c.id), bool_or(x.al) filter (where x.contact_id = c.id),
    bool_or(x.bl) filter (where x.contact_id = c.id), bool_or(x.rl) filter (where x.contact_id = c.id),
    max(x.group_ids) filter (where x.contact_id = c.id),
    count(*) filter (where case p_list when 'FL' then x.fl when 'AL' then x.al else x.bl end), coalesce(max(x.seq), 0)
  into old_fl, old_al, old_bl, old_rl, stored_groups, on_list, last_seq
  from contacts x where x.owner_id = p_owner;
  has_r := old_fl is not null;
  old_fl := coalesce(old_fl, false); old_al := coalesce(old_al, false); old_bl := coalesce(old_bl, false); old_rl := coalesce(old_rl, false);
  fl := old_fl; al := old_al; bl := old_bl; rl := old_rl;
  if p_list = 'FL' and old_fl and p_group is not null then
    groups := msnd_groups(stored_groups);
    if not (p_group = any (groups)) then
      groups := (select array_agg(g order by g) from unnest(groups || p_group) g);
      update contacts x set name = p_name, group_ids = ${STORED_GROUPS} where x.owner_id = p_owner and x.contact_id = c.id;
      select b.first_version into version from msnd_bump_versions(p_owner, null) b;
      membership_only := true;
      return;
    end if;
  end if;
  if (p_list = 'FL' and old_fl) or (p_list = 'AL' and old_al) or (p_list = 'BL' and old_bl) then
    status := ${ErrorCode.ALREADY_THERE}; return;
  end if;
  if (p_list = 'AL' and old_bl) or (p_list = 'BL' and old_al) then status := ${ErrorCode.ALREADY_IN_OPPOSITE_LIST}; return; end if;
  if on_list >= (case when p_list = 'FL' then p_fl_limit else p_other_limit end) then status := ${ErrorCode.LIST_FULL}; return; end if;
  if p_list = 'FL' then
    -- The contact's side, read before anything is written: its RL count, its record of the owner, its last seq.
    select bool_or(x.fl) filter (where x.contact_id = p_owner), bool_or(x.al) filter (where x.contact_id = p_owner),
      bool_or(x.bl) filter (where x.contact_id = p_owner), bool_or(x.rl) filter (where x.contact_id = p_owner),
      count(*) filter (where x.rl), coalesce(max(x.seq), 0)
    into m_fl, m_al, m_bl, m_rl, contact_rl, contact_last_seq
    from contacts x where x.owner_id = c.id;
    if contact_rl >= p_other_limit then status := ${ErrorCode.LIST_FULL}; return; end if;
  end if;
  fl := fl or p_list = 'FL'; al := al or p_list = 'AL'; bl := bl or p_list = 'BL';
  if p_list = 'FL' then
    groups := array[coalesce(p_group, 0)];
    stored_groups := groups[1]::text;
  else
    groups := case when has_r then msnd_groups(stored_groups) else '{}' end;
    stored_groups := ${STORED_GROUPS};
  end if;
  if has_r then
    update contacts x set fl = fl, al = al, bl = bl, name = p_name, group_ids = stored_groups
    where x.owner_id = p_owner and x.contact_id = c.id;
  else
    insert into contacts (owner_id, contact_id, fl, al, bl, rl, name, group_ids, seq)
    values (p_owner, c.id, fl, al, bl, false, p_name, stored_groups, last_seq + 1);
  end if;
  if p_list <> 'FL' then
    select b.first_version into version from msnd_bump_versions(p_owner, null) b;
    return;
  end if;
  -- The RL mirror: a record the server creates for RL starts with the adder's friendly name (8.2).
  if m_rl is null then
    insert into contacts (owner_id, contact_id, fl, al, bl, rl, name, group_ids, seq)
    values (c.id, p_owner, false, false, false, true, p_adder_name, '', contact_last_seq + 1);
  elsif not m_rl then
    update contacts x set rl = true where x.owner_id = c.id and x.contact_id = p_owner;
  end if;
  select b.first_version, b.second_version into version, reverse from msnd_bump_versions(p_owner, c.id) b;
  blp := c.blp; viewer_on_al := coalesce(m_al, false); viewer_on_bl := coalesce(m_bl, false);
end $$
`;

const REMOVE_LOCKED = `
create or replace function msnd_remove_contact_locked${REMOVE_PARAMETERS}
language plpgsql as $$
#variable_conflict use_variable
declare
  c_id integer;
  r contacts%rowtype;
  m contacts%rowtype;
begin
  status := 0;
  membership_only := false;
  select a.id, a.handle into c_id, handle from accounts a where a.handle = p_handle;
  if not found then status := ${ErrorCode.NOT_ON_LIST}; return; end if;
  select * into r from contacts x where x.owner_id = p_owner and x.contact_id = c_id;
  if not found or not (case p_list when 'FL' then r.fl when 'AL' then r.al else r.bl end) then
    status := ${ErrorCode.NOT_ON_LIST}; return;
  end if;
  contact_id := c_id; name := r.name;
  fl := r.fl; al := r.al; bl := r.bl; rl := r.rl;
  if p_group is not null then
    groups := msnd_groups(r.group_ids);
${REMOVE_FROM_GROUP}    update contacts x set group_ids = ${STORED_GROUPS} where x.owner_id = p_owner and x.contact_id = c_id;
    select b.first_version into version from msnd_bump_versions(p_owner, null) b;
    membership_only := true;
    return;
  end if;
  fl := fl and p_list <> 'FL'; al := al and p_list <> 'AL'; bl := bl and p_list <> 'BL';
  groups := case when p_list = 'FL' then '{}' else msnd_groups(r.group_ids) end;
  if not (fl or al or bl or rl) then
    delete from contacts x where x.owner_id = p_owner and x.contact_id = c_id;
  else
    update contacts x set fl = fl, al = al, bl = bl, group_ids = ${STORED_GROUPS} where x.owner_id = p_owner and x.contact_id = c_id;
  end if;
  if p_list = 'FL' then
    select * into m from contacts x where x.owner_id = c_id and x.contact_id = p_owner;
    if found and m.rl then
      if m.fl or m.al or m.bl then
        update contacts x set rl = false where x.owner_id = c_id and x.contact_id = p_owner;
      else
        delete from contacts x where x.owner_id = c_id and x.contact_id = p_owner;
      end if;
      select b.first_version, b.second_version into version, reverse from msnd_bump_versions(p_owner, c_id) b;
      return;
    end if;
  end if;
  select b.first_version into version from msnd_bump_versions(p_owner, null) b;
end $$
`;

/** The migration step that creates them, and the batch function over them (PostgreSQL only). */
export async function createLockedEditFunctions(db: Kysely<any>): Promise<void> {
  const batch = editContactsFunction('msnd_add_contact_locked', 'msnd_remove_contact_locked');
  for (const text of [BUMP_VERSIONS, ADD_LOCKED, REMOVE_LOCKED, batch]) await sql.raw(text).execute(db);
}
