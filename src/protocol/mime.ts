// MIME-style payloads the NS generates (MSNP5.md 12).
const LINE_BREAK = /[\r\n]/;

/**
 * 'Name: value\r\n' each, then '\r\n', then the body (UTF-8). An empty value is written 'Name:'.
 * Throws RangeError for a header name or value containing CR or LF (it would forge headers).
 */
export function mimeMessage(headers: ReadonlyArray<readonly [string, string]>, body = ''): Buffer {
  let text = '';
  for (const [name, value] of headers) {
    if (LINE_BREAK.test(name) || LINE_BREAK.test(value)) {
      throw new RangeError(`line break in MIME header ${JSON.stringify(name)}`);
    }
    text += value === '' ? `${name}:\r\n` : `${name}: ${value}\r\n`;
  }
  return Buffer.from(`${text}\r\n${body}`, 'utf8');
}

export interface ProfileFields {
  loginTime: number;
  emailEnabled: boolean;
  memberIdHigh: number;
  memberIdLow: number;
  langPreference: number;
  preferredEmail: string;
  country: string;
  postalCode: string;
  gender: string;
  kid: boolean;
  age: string;
  bdayPre: string;
  birthday: string;
  wallet: string;
  flags: number;
  sid: number;
  kv: number;
  mspAuth: string;
}

const PROFILE_TYPE = 'text/x-msmsgsprofile; charset=UTF-8';

/** §12.1: MSNP2 → only MIME-Version, Content-Type, LoginTime; MSNP3+ → the full list in the table's order. Body empty. */
export function profileMessage(fullProfile: boolean, f: ProfileFields): Buffer {
  const common: [string, string][] = [
    ['MIME-Version', '1.0'],
    ['Content-Type', PROFILE_TYPE],
    ['LoginTime', String(f.loginTime)],
  ];
  if (!fullProfile) return mimeMessage(common);
  return mimeMessage([
    ...common,
    ['EmailEnabled', flag(f.emailEnabled)],
    ['MemberIdHigh', String(f.memberIdHigh)],
    ['MemberIdLow', String(f.memberIdLow)],
    ['lang_preference', String(f.langPreference)],
    ['PreferredEmail', f.preferredEmail],
    ['country', f.country],
    ['PostalCode', f.postalCode],
    ['Gender', f.gender],
    ['Kid', flag(f.kid)],
    ['Age', f.age],
    ['BDayPre', f.bdayPre],
    ['Birthday', f.birthday],
    ['Wallet', f.wallet],
    ['Flags', String(f.flags)],
    ['sid', String(f.sid)],
    ['kv', String(f.kv)],
    ['MSPAuth', f.mspAuth],
  ]);
}

function flag(value: boolean): string {
  return value ? '1' : '0';
}
