// The raw baseline's replies: the bytes msnd would send for a representative user of the same
// population, with the TrID left open. The raw server only looks up and fills these in.
import { randomBytes } from 'node:crypto';
import { profileMessage } from '../../src/protocol/mime.ts';
import { contactsOf, type Population } from './population.ts';

/** Stands for the TrID of the request in a canned reply. */
export const TRID = '\u0000';

export interface CannedReplies {
  /** `USR t OK handle name` and the profile message */
  usrOk: string;
  /** the full answer to `SYN t 0` for a user with a 20-contact list, BPR lines included */
  syn: string;
  challenge: string;
  /** who the raw server's NLN, MSG and USR lines name */
  handle: string;
  name: string;
}

export function cannedReplies(population: Population, userIndex: number): CannedReplies {
  const user = population.accounts[userIndex]!;
  const contacts = contactsOf(population, userIndex);
  const version = 1;
  const phone = population.phone;
  const line = (...tokens: (string | number)[]): string => tokens.filter((t) => t !== '').join(' ') + '\r\n';
  const lines = [
    line('SYN', TRID, version),
    line('GTC', TRID, version, 'A'),
    line('BLP', TRID, version, 'AL'),
    line('PRP', TRID, version, 'PHH', phone),
    line('PRP', TRID, version, 'PHW'),
    line('PRP', TRID, version, 'PHM'),
    line('PRP', TRID, version, 'MOB', 'N'),
    line('PRP', TRID, version, 'MBE', 'N'),
  ];
  contacts.forEach((c, i) => {
    lines.push(line('LST', TRID, 'FL', version, i + 1, contacts.length, c.handle, c.name));
    for (const [p, v] of [
      ['PHH', phone],
      ['PHW', ''],
      ['PHM', ''],
      ['MOB', 'N'],
    ])
      lines.push(line('BPR', version, c.handle, p!, v!));
  });
  contacts.forEach((c, i) => lines.push(line('LST', TRID, 'AL', version, i + 1, contacts.length, c.handle, c.name)));
  lines.push(line('LST', TRID, 'BL', version, 0, 0));
  contacts.forEach((c, i) => lines.push(line('LST', TRID, 'RL', version, i + 1, contacts.length, c.handle, c.name)));
  const profile = profileMessage(true, {
    loginTime: Math.floor(Date.now() / 1000),
    emailEnabled: false,
    memberIdHigh: 0,
    memberIdLow: userIndex + 1,
    langPreference: 1033,
    preferredEmail: user.handle,
    country: '',
    postalCode: '',
    gender: '',
    kid: false,
    age: '',
    bdayPre: '',
    birthday: '',
    wallet: '',
    flags: 1027,
    sid: 507,
    kv: 5,
    mspAuth: randomBytes(24).toString('base64url'),
  }).toString('latin1');
  return {
    usrOk: line('USR', TRID, 'OK', user.handle, user.name) + line('MSG', 'Hotmail', 'Hotmail', profile.length) + profile,
    syn: lines.join(''),
    challenge: '1058403919.482917335',
    handle: user.handle,
    name: user.name,
  };
}
