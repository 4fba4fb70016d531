// %-encoded names and account handles (MSNP5.md 3.4, 3.5, 14).
import { isUtf8 } from 'node:buffer';

export const NAME_MAX_BYTES = 387;
export const PHONE_MAX_BYTES = 95;
export const GROUP_NAME_MAX_BYTES = 61;
export const HANDLE_MAX_BYTES = 129;

const PERCENT_ESCAPE = /%([0-9A-Fa-f]{2})/g;
const RAW_HIGH_BYTE = /[\x80-\xff]/;
/** Unicode Cc: C0, DEL and C1 controls. */
const CONTROL_CHAR = /[\x00-\x1f\x7f-\x9f]/;
const HANDLE = /^[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
const HEX = '0123456789ABCDEF';

/** %XX (either case) → byte; a '%' not followed by two hex digits stays literal. Input chars are latin1 bytes. */
export function percentDecode(encoded: string): Buffer {
  if (!encoded.includes('%')) return Buffer.from(encoded, 'latin1');
  const bytesAsChars = encoded.replace(PERCENT_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytesAsChars, 'latin1');
}

/** Space, '%', controls (0x00–0x1F, 0x7F) and bytes ≥ 0x80 → %XX upper-case; a string is taken as Unicode text (UTF-8). */
export function canonicalEncode(text: string | Buffer): string {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let out = '';
  for (const byte of bytes) {
    out += needsEscape(byte) ? '%' + HEX[byte >> 4] + HEX[byte & 0x0f] : String.fromCharCode(byte);
  }
  return out;
}

function needsEscape(byte: number): boolean {
  return byte <= 0x20 || byte === 0x25 || byte >= 0x7f;
}

export type NameCheck = { ok: true; wire: string; text: string } | { ok: false; reason: 'too-long' | 'invalid' };

/**
 * Validates an encoded name as received (a latin1 token). wire = the form msnd stores and sends: the
 * token exactly as sent, except when it contains raw bytes ≥0x80: then the canonical encoding of its
 * decoded text. too-long: > maxEncodedBytes as received, or wire longer than that. invalid: decodes
 * to invalid UTF-8 or contains control chars, or is empty. text = decoded Unicode. An accepted wire
 * is accepted again as it is (acceptEncoded(wire) gives the same wire and text).
 */
export function acceptEncoded(param: string, maxEncodedBytes: number): NameCheck {
  if (param.length > maxEncodedBytes) return { ok: false, reason: 'too-long' };
  const bytes = percentDecode(param);
  if (bytes.length === 0 || !isUtf8(bytes)) return { ok: false, reason: 'invalid' };
  const text = bytes.toString('utf8');
  if (CONTROL_CHAR.test(text)) return { ok: false, reason: 'invalid' };
  // Keep the client's own encoding, unless it sent unescaped UTF-8 (MSNP5.md 3.4, D-21).
  const wire = RAW_HIGH_BYTE.test(param) ? canonicalEncode(bytes) : param;
  // Decision: the limit is on the encoded name msnd stores and sends (MSNP5.md 3.4, 8.1, 14), so that
  // nothing it sends is refused when sent back. Unescaped UTF-8 that outgrows it once encoded is an
  // over-long name, answered as the reference answers one (REA/ADD/PRP close: 9.8 #3, 9.10, 9.14;
  // groups 229: 9.29); period clients always escape (3.4), so only careless clients meet this.
  if (wire.length > maxEncodedBytes) return { ok: false, reason: 'too-long' };
  return { ok: true, wire, text };
}

/** MSNP5.md 3.5 decision: one '@', local part of A–Z a–z 0–9 . _ - +, a domain of ≥ 2 labels, ≤ 129 bytes. */
export function isValidHandle(handle: string): boolean {
  return handle.length <= HANDLE_MAX_BYTES && HANDLE.test(handle);
}

/** True for 'name@' or 'name': nothing after the first '@' (the 206 case, MSNP5.md 3.5). */
export function lacksDomain(handle: string): boolean {
  const at = handle.indexOf('@');
  return at === -1 || at === handle.length - 1;
}

/** Handles compare case-insensitively; msnd stores and sends lower case (MSNP5.md 3.5). */
export function normalizeHandle(handle: string): string {
  return handle.toLowerCase();
}
