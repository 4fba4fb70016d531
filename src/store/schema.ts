import type { Generated } from 'kysely';

/** A boolean column: PostgreSQL reads `boolean`, SQLite reads 0/1 (see Engine.flag for writes). */
export type Flag = boolean | number;

export interface AccountsTable {
  /** Also the Passport member id of the profile message. */
  id: Generated<number>;
  handle: string;
  friendly_name: string;
  /** base64(iv ‖ tag ‖ AES-256-GCM ciphertext) of the MD5-scheme secret. */
  secret_enc: string;
  verified: Flag;
  kid: Flag;
  list_version: number;
  gtc: 'A' | 'N';
  blp: 'AL' | 'BL';
  phh: string;
  phw: string;
  phm: string;
  mob: 'Y' | 'N';
  mbe: 'Y' | 'N';
  lang_preference: number;
  preferred_email: string;
  country: string;
  postal_code: string;
  gender: string;
  age: string;
  bday_pre: string;
  birthday: string;
  wallet: string;
  /** Unix seconds. */
  created_at: number;
}

export interface ContactsTable {
  owner_id: number;
  contact_id: number;
  fl: Flag;
  al: Flag;
  bl: Flag;
  rl: Flag;
  name: string;
  /** Comma-separated group ids ('0,3'), '' for none. */
  group_ids: string;
  /** Creation order within the owner's records; kept when the record is updated. */
  seq: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  accounts: AccountsTable;
  contacts: ContactsTable;
  msnd_meta: MetaTable;
}
