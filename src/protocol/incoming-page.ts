// The IPG document: a page shown by the client rather than sent to the phone (MSNP5.md 9.28, 12.7).
import { bodyElement, bodyFits, escapeXml, passportId } from './notification.ts';

/** Page texts are tagged English, as msnd's alerts are (LCID 1033). */
export const PAGE_LANG = 1033;
/** MSN Mobile's alerts site id and its category of mobile messages, as in [YW IPG] and [Gaim]. */
const MOBILE_SITE_ID = 111100400;
const MOBILE_CATEGORY = 110110001;

/** An account as TO and FROM name it: the handle and the account id (the member id, MSNP5.md 12.1). */
export interface PageParty {
  handle: string;
  accountId: number;
}

export interface IncomingPageFields {
  to: PageParty;
  from: PageParty;
  /** Base URL the client puts before ACTION and SUBSCR urls. */
  siteUrl: string;
  /** Relative to siteUrl: what a click on the page opens. */
  actionUrl: string;
  /** The decoded page text. */
  text: string;
  /** The call-back number of PAG's PHONE element ('' without one). */
  callback: string;
}

/**
 * `<NOTIFICATION …><TO …><VIA agent="mobile"/></TO><FROM …/><MSG …>…</MSG></NOTIFICATION>` as one
 * line, every value escaped; undefined when BODY would exceed 1024 bytes (MSNP5.md 12.7).
 *
 * Ids (decisions): NOTIFICATION id 0, because only a failed PAG carries its TrID there (9.28) and msnd
 * reports failures with an error code instead; MSG id 1, because clients such as [Gaim] read any
 * other MSG id as the code of a failed page. FROM's name is the sender's handle, as in [YW IPG]: the
 * client matches it against its contacts.
 */
export function incomingPageDocument(f: IncomingPageFields): string | undefined {
  // IPG has no place for a call-back number; it goes at the end of the text (a decision).
  const text = f.callback === '' ? f.text : `${f.text} (Call back: ${f.callback})`;
  if (!bodyFits(PAGE_LANG, text)) return undefined;
  const action = escapeXml(f.actionUrl);
  return (
    `<NOTIFICATION ver="1" id="0" siteid="${MOBILE_SITE_ID}" siteurl="${escapeXml(f.siteUrl)}">` +
    `<TO pid="${pidOf(f.to.accountId)}" name="${escapeXml(f.to.handle)}"><VIA agent="mobile"/></TO>` +
    `<FROM pid="${pidOf(f.from.accountId)}" name="${escapeXml(f.from.handle)}"/>` +
    `<MSG pri="1" id="1"><ACTION url="${action}"/><SUBSCR url="${action}"/><CAT id="${MOBILE_CATEGORY}"/>` +
    bodyElement(PAGE_LANG, text) +
    `</MSG></NOTIFICATION>`
  );
}

/** The account id split into MemberIdHigh and MemberIdLow, written as a pid. */
function pidOf(accountId: number): string {
  return passportId(Math.floor(accountId / 2 ** 32), accountId % 2 ** 32);
}
