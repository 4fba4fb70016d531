// Secrets of the web server, each derived from one key for one purpose, and the signed links made
// with them (e-mail verification). Signed links need no database table: they carry their own expiry.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export interface WebKeys {
  /** Signs the browser session cookie (@fastify/cookie). */
  cookie: Buffer;
  /** Signs links such as the e-mail verification link. */
  link: Buffer;
  /** Binds form submissions to the browser session (CSRF). */
  form: Buffer;
}

/** Derives the web's keys from the server key (or a random per-process key) with HKDF. */
export function deriveWebKeys(key: Buffer): WebKeys {
  const derive = (purpose: string): Buffer => Buffer.from(hkdfSync('sha256', key, '', `msnd web ${purpose}`, 32));
  return { cookie: derive('cookie'), link: derive('link'), form: derive('form') };
}

export function hmac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('base64url');
}

/** Constant-time comparison of two strings of any length. */
export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `<fields joined by '.', base64url>.<expiry seconds>.<hmac>`, for one purpose only. */
export function signLink(key: Buffer, purpose: string, fields: readonly string[], expiresAt: number): string {
  const payload = `${Buffer.from(fields.join('\n')).toString('base64url')}.${expiresAt}`;
  return `${payload}.${hmac(key, `${purpose}\n${payload}`)}`;
}

/** The fields of a link signed for `purpose` that has not expired at `now` (seconds); else undefined. */
export function readLink(key: Buffer, purpose: string, token: string, now: number): string[] | undefined {
  const match = /^([A-Za-z0-9_-]*)\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  const [, fields, expiresAt, mac] = match;
  if (!sameText(mac!, hmac(key, `${purpose}\n${fields}.${expiresAt}`))) return undefined;
  if (Number(expiresAt) <= now) return undefined;
  return Buffer.from(fields!, 'base64url').toString().split('\n');
}
