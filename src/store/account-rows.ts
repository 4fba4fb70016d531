import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { AccountPatch, NewAccount } from '../core/store.ts';
import { DEFAULT_PROFILE, NO_PHONES } from '../core/types.ts';
import type { Account, Phones, Profile } from '../core/types.ts';
import type { Engine } from './engine.ts';
import type { SelectedValues } from './prepared.ts';
import type { AccountsTable } from './schema.ts';

const MAX_LIST_VERSION = 4294967295;

/** The next list version of the row being updated: +1, and after 4294967295 comes 1 (MSNP5.md 8.4). */
export const nextListVersion = sql<number>`case when list_version >= ${sql.lit(MAX_LIST_VERSION)} then 1 else list_version + 1 end`;

export const ACCOUNT_COLUMNS = [
  'id',
  'handle',
  'friendly_name',
  'verified',
  'kid',
  'list_version',
  'gtc',
  'blp',
  'phh',
  'phw',
  'phm',
  'mob',
  'mbe',
  'lang_preference',
  'preferred_email',
  'country',
  'postal_code',
  'gender',
  'age',
  'bday_pre',
  'birthday',
  'wallet',
  'created_at',
  'disabled',
  'admin',
  'sessions_ended_at',
] as const satisfies readonly (keyof AccountsTable)[];

type AccountRow = Pick<Selectable<AccountsTable>, (typeof ACCOUNT_COLUMNS)[number]>;

const PHONE_COLUMNS = {
  PHH: 'phh',
  PHW: 'phw',
  PHM: 'phm',
  MOB: 'mob',
  MBE: 'mbe',
} as const satisfies Record<keyof Phones, keyof AccountsTable>;

const PROFILE_COLUMNS = {
  langPreference: 'lang_preference',
  preferredEmail: 'preferred_email',
  country: 'country',
  postalCode: 'postal_code',
  gender: 'gender',
  age: 'age',
  bdayPre: 'bday_pre',
  birthday: 'birthday',
  wallet: 'wallet',
} as const satisfies Record<keyof Profile, keyof AccountsTable>;

export function newAccountRow(input: NewAccount, engine: Engine, secretEnc: string) {
  return {
    handle: input.handle,
    friendly_name: input.friendlyName,
    secret_enc: secretEnc,
    verified: engine.flag(input.verified),
    kid: engine.flag(false),
    list_version: 1,
    gtc: 'A',
    blp: 'AL',
    ...phoneRow(NO_PHONES),
    ...profileRow({ ...DEFAULT_PROFILE, preferredEmail: input.handle }),
    created_at: Math.floor(Date.now() / 1000),
    admin: engine.flag(input.admin ?? false),
    last_signin_at: null,
  } as const satisfies Insertable<AccountsTable>;
}

function phoneRow(phones: Phones) {
  return { phh: phones.PHH, phw: phones.PHW, phm: phones.PHM, mob: phones.MOB, mbe: phones.MBE };
}

function profileRow(profile: Profile) {
  return {
    lang_preference: profile.langPreference,
    preferred_email: profile.preferredEmail,
    country: profile.country,
    postal_code: profile.postalCode,
    gender: profile.gender,
    age: profile.age,
    bday_pre: profile.bdayPre,
    birthday: profile.birthday,
    wallet: profile.wallet,
  };
}

export function accountChanges(patch: AccountPatch, engine: Engine): Updateable<AccountsTable> {
  return {
    ...(patch.friendlyName !== undefined && { friendly_name: patch.friendlyName }),
    ...(patch.gtc !== undefined && { gtc: patch.gtc }),
    ...(patch.blp !== undefined && { blp: patch.blp }),
    ...(patch.verified !== undefined && { verified: engine.flag(patch.verified) }),
    ...(patch.kid !== undefined && { kid: engine.flag(patch.kid) }),
    ...(patch.disabled !== undefined && { disabled: engine.flag(patch.disabled) }),
    ...(patch.disabledReason !== undefined && { disabled_reason: patch.disabledReason }),
    ...(patch.admin !== undefined && { admin: engine.flag(patch.admin) }),
    ...(patch.sessionsEndedAt !== undefined && { sessions_ended_at: patch.sessionsEndedAt }),
    ...definedColumns(PHONE_COLUMNS, patch.phones ?? {}),
    ...definedColumns(PROFILE_COLUMNS, patch.profile ?? {}),
  };
}

function definedColumns<F extends string>(
  columns: Record<F, keyof AccountsTable>,
  values: Partial<Record<F, unknown>>,
): Updateable<AccountsTable> {
  const changes: Record<string, unknown> = {};
  for (const field of Object.keys(columns) as F[]) {
    if (values[field] !== undefined) changes[columns[field]] = values[field];
  }
  return changes as Updateable<AccountsTable>;
}

export function toAccount(row: AccountRow): Account {
  return accountOf(ACCOUNT_COLUMNS.map((column) => row[column]) as unknown as AccountValues);
}

/** An account row's values in the order of ACCOUNT_COLUMNS. */
export type AccountValues = SelectedValues<AccountRow, typeof ACCOUNT_COLUMNS>;

/** The account of a row's values (ACCOUNT_COLUMNS order; more values after them are left alone). */
export function accountOf(values: [...AccountValues, ...unknown[]]): Account {
  const [
    id,
    handle,
    friendlyName,
    verified,
    kid,
    listVersion,
    gtc,
    blp,
    PHH,
    PHW,
    PHM,
    MOB,
    MBE,
    langPreference,
    preferredEmail,
    country,
    postalCode,
    gender,
    age,
    bdayPre,
    birthday,
    wallet,
    createdAt,
    disabled,
    admin,
    sessionsEndedAt,
  ] = values;
  return {
    id,
    handle,
    friendlyName,
    listVersion: Number(listVersion),
    gtc,
    blp,
    phones: { PHH, PHW, PHM, MOB, MBE },
    verified: Boolean(verified),
    kid: Boolean(kid),
    profile: { langPreference, preferredEmail, country, postalCode, gender, age, bdayPre, birthday, wallet },
    createdAt: Number(createdAt),
    disabled: Boolean(disabled),
    admin: Boolean(admin),
    sessionsEndedAt: Number(sessionsEndedAt),
  };
}
