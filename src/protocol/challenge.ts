// MSNP6+ challenges: CHL from the server, QRY from the client (MSNP5.md 9.27).
import { randomInt, timingSafeEqual } from 'node:crypto';
import { md5Hex } from './md5.ts';

/** The client id of the official clients of the era (MSNP5.md 9.27). */
export const MSMSGS_CLIENT_ID = 'msmsgs@msnmsgr.com';

/** A QRY payload is always 32 bytes: lower-case hex MD5 (MSNP5.md 3.6, 14). */
export const QRY_ANSWER_BYTES = 32;

/** Known client id → private key pairs [YW MSNP6][NINA challenges][Gaim]. */
export const CLIENT_KEYS: ReadonlyMap<string, string> = new Map([[MSMSGS_CLIENT_ID, 'Q1P7W2E4J9R8U3S5']]);

const HALF_SPAN = 10 ** 10;

/** 20 decimal digits, the form of the service's challenges (MSNP5.md 9.27); never a leading zero. */
export function newQueryChallenge(): string {
  const high = randomInt(HALF_SPAN / 10, HALF_SPAN);
  const low = randomInt(HALF_SPAN);
  return `${high}${String(low).padStart(10, '0')}`;
}

/** lowercase_hex(MD5(challenge ++ private key)), or undefined for a client id msnd does not know. */
export function queryAnswer(challenge: string, clientId: string): string | undefined {
  const key = CLIENT_KEYS.get(clientId);
  return key === undefined ? undefined : md5Hex(challenge, key);
}

/**
 * True only for a known client id and a payload of exactly the 32 lower-case hex digits of the
 * answer. Upper case is refused: the reference writes the answer in lower case and, unlike USR
 * (MSNP5.md 6.1), allows nothing else (MSNP5.md 9.27, a decision). Constant-time.
 */
export function isQueryAnswer(challenge: string, clientId: string, payload: Buffer): boolean {
  const expected = queryAnswer(challenge, clientId);
  if (expected === undefined || payload.length !== QRY_ANSWER_BYTES) return false;
  return timingSafeEqual(Buffer.from(expected, 'latin1'), payload);
}
