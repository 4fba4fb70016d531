// The PAG payload (MSNP5.md 9.20).
import { isUtf8 } from 'node:buffer';

/** PAG payloads are at most this many bytes (MSNP5.md 14, a decision). */
export const PAGE_MAX_BYTES = 1024;

export interface PagePayload {
  /** The call-back number of the optional PHONE element ('' without one). */
  callback: string;
  callbackLocation: 'HOME' | 'WORK' | 'MOBILE' | '';
  /** The decoded text. */
  text: string;
}

const TEXT_CONTENT = '(?:[^<>&]|&#x[0-9A-Fa-f]{1,6};|&#[0-9]{1,7};|&(?:amp|lt|gt|quot|apos);)*';
const PAGE = new RegExp(
  '^(?:<PHONE pri="[0-9]"><LOC>(HOME|WORK|MOBILE)</LOC><NUM>([0-9]{1,32})</NUM></PHONE>)?' +
    `<TEXT xml:space="preserve">(${TEXT_CONTENT})</TEXT>(?:\\r\\n)?$`,
);
const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** Text a page may not carry: controls other than tab, CR, LF. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * `{<PHONE pri="1"><LOC>…</LOC><NUM>digits</NUM></PHONE>}<TEXT xml:space="preserve">text</TEXT>`,
 * with `&#x26;`-style references in the text (MSNP5.md 9.20). Undefined when the payload is not of
 * this shape, not UTF-8, or its text is empty.
 */
export function parsePagePayload(payload: Buffer): PagePayload | undefined {
  if (!isUtf8(payload)) return undefined;
  const match = PAGE.exec(payload.toString('utf8'));
  if (!match) return undefined;
  const text = decodeReferences(match[3]!);
  if (text === undefined || text.trim() === '' || CONTROL.test(text)) return undefined;
  const location = (match[1] ?? '') as PagePayload['callbackLocation'];
  return { callback: match[2] ?? '', callbackLocation: location, text };
}

function decodeReferences(text: string): string | undefined {
  let valid = true;
  const decoded = text.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[a-z]+);/g, (_, ref: string) => {
    if (!ref.startsWith('#')) return NAMED[ref]!;
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      valid = false;
      return '';
    }
    return String.fromCodePoint(code);
  });
  return valid ? decoded : undefined;
}
