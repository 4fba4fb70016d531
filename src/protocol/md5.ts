// The MD5 challenge of NS login (MSNP5.md 6.1, 6.2).
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

const HEX_32 = /^[0-9a-fA-F]{32}$/;
const CHALLENGE_DIGITS = 9;
const CHALLENGE_SPAN = 10 ** CHALLENGE_DIGITS;

/** Lower-case hex MD5 of the concatenation; strings are hashed as UTF-8. */
export function md5Hex(...parts: (string | Buffer)[]): string {
  return md5(parts).toString('hex');
}

/** lowercase_hex(MD5(challenge ++ password)) (MSNP5.md 6.2). */
export function md5Response(challenge: string, password: string): string {
  return md5Hex(challenge, password);
}

/** Accepts upper-case hex too (MSNP5.md 6.1); false for anything but 32 hex digits. Constant-time. */
export function isMd5ResponseFor(challenge: string, password: string, response: string): boolean {
  if (!HEX_32.test(response)) return false;
  return timingSafeEqual(md5([challenge, password]), Buffer.from(response, 'hex'));
}

/**
 * '<unix seconds>.<9 random digits>' (MSNP5.md 6.1 decision). `random` works like Math.random
 * (a number in [0, 1)); the default draws the digits from crypto.randomInt.
 */
export function newChallenge(nowSeconds: number, random: () => number = cryptoRandom): string {
  const seconds = Math.floor(nowSeconds);
  // round, not floor: a decimal like 0.482917335 must give exactly 482917335 despite float error
  const digits = Math.min(Math.round(random() * CHALLENGE_SPAN), CHALLENGE_SPAN - 1);
  if (!(seconds >= 0) || !(digits >= 0)) throw new RangeError('challenge time or random value out of range');
  return `${seconds}.${String(digits).padStart(CHALLENGE_DIGITS, '0')}`;
}

function cryptoRandom(): number {
  return randomInt(CHALLENGE_SPAN) / CHALLENGE_SPAN;
}

function md5(parts: readonly (string | Buffer)[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}
