// MSNP6+ challenges: CHL from the server, QRY from the client (MSNP5.md 9.27).
import { randomInt, timingSafeEqual } from 'node:crypto';
import { md5Hex } from './md5.ts';

/** The client id of the official clients of the era (MSNP5.md 9.27). */
export const MSMSGS_CLIENT_ID = 'msmsgs@msnmsgr.com';

/** A QRY payload is always 32 bytes: lower-case hex MD5 (MSNP5.md 3.6, 14). */
export const QRY_ANSWER_BYTES = 32;

/** Client id → private key; an id is compared exactly, case and all (MSNP5.md 9.27). */
export type ClientKeys = ReadonlyMap<string, string>;

/**
 * Every client id → private key pair publicly documented for MSNP6–MSNP9 clients (MSNP5.md 9.27):
 * the official clients' and those of the third-party clients of the period.
 */
export const CLIENT_KEYS: ClientKeys = new Map([
  [MSMSGS_CLIENT_ID, 'Q1P7W2E4J9R8U3S5'],
  ['PROD0038W!61ZTF9', 'VT6PX?UQTM4WM%YR'],
  ['PROD0058#7IL2{QD', 'QHDCY@7R1TB6W?5B'],
  ['PROD0061VRRZH@4F', 'JXQ6J@TUOGYV@N0M'],
  ['PROD00504RLUG%WL', 'I2EBK%PYNLZL5_J4'],
  ['PROD0076ENE8*@AW', 'CEQJ8}OE0!WTSWII'],
]);

/** The built-in pairs with `extra` merged over them: an extra pair for a built-in id replaces its key. */
export function withClientKeys(extra: Readonly<Record<string, string>>): ClientKeys {
  return new Map([...CLIENT_KEYS, ...Object.entries(extra)]);
}

/** The longest TrID (MSNP5.md 3.2), for the longest QRY line a client id can appear in. */
const LONGEST_TRID = '4294967295';

/**
 * True for a client id a client can send as one token of `QRY t <id> 32` and that the server then
 * reads back as the same string: visible ASCII only, no spaces or control characters (MSNP5.md 3.1;
 * the framer reads bytes as latin1, so a non-ASCII id sent as UTF-8 would never match).
 */
export function isClientIdToken(id: string): boolean {
  return /^[\x21-\x7e]+$/.test(id);
}

/** Bytes of the longest `QRY t <id> 32` line with this id, without CR LF (MSNP5.md 14: line length). */
export function queryLineBytes(clientId: string): number {
  return Buffer.byteLength(`QRY ${LONGEST_TRID} ${clientId} ${QRY_ANSWER_BYTES}`, 'latin1');
}

const HALF_SPAN = 10 ** 10;

/** 20 decimal digits, the form of the service's challenges (MSNP5.md 9.27); never a leading zero. */
export function newQueryChallenge(): string {
  const high = randomInt(HALF_SPAN / 10, HALF_SPAN);
  const low = randomInt(HALF_SPAN);
  return `${high}${String(low).padStart(10, '0')}`;
}

/** lowercase_hex(MD5(challenge ++ private key)), or undefined for a client id not in `keys`. */
export function queryAnswer(challenge: string, clientId: string, keys: ClientKeys = CLIENT_KEYS): string | undefined {
  const key = keys.get(clientId);
  return key === undefined ? undefined : md5Hex(challenge, key);
}

/**
 * True only for a client id in `keys` and a payload of exactly the 32 lower-case hex digits of the
 * answer. Upper case is refused: the reference writes the answer in lower case and, unlike USR
 * (MSNP5.md 6.1), allows nothing else (MSNP5.md 9.27, a decision). Constant-time.
 */
export function isQueryAnswer(challenge: string, clientId: string, payload: Buffer, keys: ClientKeys = CLIENT_KEYS): boolean {
  const expected = queryAnswer(challenge, clientId, keys);
  if (expected === undefined || payload.length !== QRY_ANSWER_BYTES) return false;
  return timingSafeEqual(Buffer.from(expected, 'latin1'), payload);
}
