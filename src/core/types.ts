/** The data of the service, as core sees it. Names and phone values are kept %-encoded, exactly as
 * a client sent them (MSNP5.md 3.4), so that every later line can write the same bytes. */

export type ListName = 'FL' | 'AL' | 'BL' | 'RL';
export type EditableList = 'FL' | 'AL' | 'BL';
export const LIST_NAMES: readonly ListName[] = ['FL', 'AL', 'BL', 'RL'];

/** Online sub-states and HDN (MSNP5.md 9.11). FLN is not a status a client may set. */
export type Status = 'NLN' | 'BSY' | 'IDL' | 'BRB' | 'AWY' | 'PHN' | 'LUN' | 'HDN';
export const STATUSES: readonly Status[] = ['NLN', 'BSY', 'IDL', 'BRB', 'AWY', 'PHN', 'LUN', 'HDN'];

export type PhoneProperty = 'PHH' | 'PHW' | 'PHM';
export type YesNo = 'Y' | 'N';

/** Phone numbers (encoded, '' when unset) and the two mobile flags (MSNP5.md 8.1, 9.14). */
export interface Phones {
  PHH: string;
  PHW: string;
  PHM: string;
  MOB: YesNo;
  MBE: YesNo;
}

export const NO_PHONES: Phones = { PHH: '', PHW: '', PHM: '', MOB: 'N', MBE: 'N' };

/** Fields of the profile message (MSNP5.md 12.1) that belong to the account. */
export interface Profile {
  langPreference: number;
  preferredEmail: string;
  country: string;
  postalCode: string;
  gender: string;
  age: string;
  bdayPre: string;
  birthday: string;
  wallet: string;
}

export const DEFAULT_PROFILE: Profile = {
  langPreference: 1033,
  preferredEmail: '',
  country: '',
  postalCode: '',
  gender: '',
  age: '',
  bdayPre: '',
  birthday: '',
  wallet: '',
};

export interface Account {
  /** Numeric id; also the Passport member id of the profile message. */
  id: number;
  /** Lower-case handle (MSNP5.md 3.5). */
  handle: string;
  /** Encoded friendly name. */
  friendlyName: string;
  /** Unsigned 32-bit list version (MSNP5.md 8.4); new accounts start at 1. */
  listVersion: number;
  gtc: 'A' | 'N';
  blp: 'AL' | 'BL';
  phones: Phones;
  verified: boolean;
  kid: boolean;
  profile: Profile;
  /** Unix seconds. */
  createdAt: number;
  /** Refused at sign-in like a wrong password (an operator's `msnd user disable`). */
  disabled: boolean;
  /** May sign in to the admin console. */
  admin: boolean;
  /** Unix ms: the account's sessions (NS and browser) that began before it were ended by an operator; 0: never. */
  sessionsEndedAt: number;
}

export interface ListMembership {
  FL: boolean;
  AL: boolean;
  BL: boolean;
  RL: boolean;
}

/** One contact record of an owner: membership bits and the name the owner gave the contact. */
export interface ContactEntry {
  contactId: number;
  handle: string;
  /** Encoded name as the owner stored it. */
  name: string;
  lists: ListMembership;
  /** MSNP7 group ids of an FL entry, ascending; empty for records not on FL. */
  groups: number[];
}

/** An MSNP7 contact group (MSNP5.md 9.29): ids 0–29, the name encoded as the client sent it. */
export interface ContactGroup {
  id: number;
  name: string;
}

/** Group 0 exists in every account and cannot be removed (MSNP5.md 9.29). */
export const DEFAULT_GROUP_ID = 0;
/**
 * The name new accounts give group 0, as in sessions.md 17a. (A decision: the `~` that makes the
 * official client create its default groups would show as "~" in every other client.)
 */
export const DEFAULT_GROUP_NAME = 'Other%20Contacts';
/** Groups per account and the highest group id (MSNP5.md 14). */
export const MAX_GROUPS = 30;

/** What a viewer is to an owner, for allows(owner, viewer) (MSNP5.md 8.3). */
export interface PrivacyFacts {
  blp: 'AL' | 'BL';
  viewerOnAL: boolean;
  viewerOnBL: boolean;
}

/** allows(O, X): may X see O's presence and invite O (MSNP5.md 8.3). The one visibility rule. */
export function allows(owner: PrivacyFacts): boolean {
  if (owner.viewerOnBL) return false;
  if (owner.viewerOnAL) return true;
  return owner.blp === 'AL';
}
