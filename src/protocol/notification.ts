// `<NOTIFICATION>` documents carried by NOT (MSNP5.md 9.21, 12.7).

/** `<BODY>` including its tags is at most this many bytes (MSNP5.md 12.7, 14). */
export const NOTIFICATION_BODY_MAX_BYTES = 1024;

export interface NotificationFields {
  /** 32-bit id of the notification. */
  id: number;
  /** Alerts site id (`0`/`1` pick the stock/calendar icons). */
  siteId: number;
  /** Base URL the client puts before ACTION and SUBSCR urls. */
  siteUrl: string;
  memberIdHigh: number;
  memberIdLow: number;
  /** The recipient's handle. */
  name: string;
  messageId: number;
  actionUrl: string;
  subscrUrl: string;
  /** LCID of the text, e.g. 1033. */
  lang: number;
  text: string;
}

/** The whole document as one line of XML, every value escaped (MSNP5.md 12.7). */
export function notificationDocument(f: NotificationFields): string {
  const pid = passportId(f.memberIdHigh, f.memberIdLow);
  return (
    `<NOTIFICATION ver="1" id="${f.id}" siteid="${f.siteId}" siteurl="${escapeXml(f.siteUrl)}">` +
    `<TO pid="${pid}" name="${escapeXml(f.name)}"/>` +
    `<MSG id="${f.messageId}"><ACTION url="${escapeXml(f.actionUrl)}"/><SUBSCR url="${escapeXml(f.subscrUrl)}"/>` +
    bodyElement(f.lang, f.text) +
    `</MSG></NOTIFICATION>`
  );
}

/** `<BODY lang="…"><TEXT>…</TEXT></BODY>`: the part limited to 1024 bytes. */
export function bodyElement(lang: number, text: string): string {
  return `<BODY lang="${lang}"><TEXT>${escapeXml(text)}</TEXT></BODY>`;
}

export function bodyFits(lang: number, text: string): boolean {
  return Buffer.byteLength(bodyElement(lang, text), 'utf8') <= NOTIFICATION_BODY_MAX_BYTES;
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
/** Characters XML 1.0 does not allow at all (C0 controls but tab, LF, CR; U+FFFE/U+FFFF; lone surrogates). */
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes markup characters; characters XML cannot carry are dropped. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/** `0x<MemberIdHigh 8 hex>:0x<MemberIdLow 8 hex>`, the pid of TO and FROM (MSNP5.md 12.7). */
export function passportId(memberIdHigh: number, memberIdLow: number): string {
  return `0x${hex8(memberIdHigh)}:0x${hex8(memberIdLow)}`;
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
