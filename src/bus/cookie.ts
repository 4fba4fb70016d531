import { randomBytes } from 'node:crypto';

/**
 * A cookie in the dotted-digits shape of the period (MSNP5.md 9.2: "groups of digits joined by
 * dots"), carrying 160 random bits: five groups of ten digits, each from 32 random bits.
 */
export function newCookie(): string {
  const bytes = randomBytes(20);
  const groups: string[] = [];
  for (let i = 0; i < 20; i += 4) groups.push(String(bytes.readUInt32BE(i)).padStart(10, '0'));
  return groups.join('.');
}
