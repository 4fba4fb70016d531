// What `msnd chat` says: statuses, list changes, server errors, alerts and mail notices in words
// instead of wire codes (MSNP5.md 13 for the codes).
import { ConnectionClosedError, MsnpError, WaitTimeoutError } from '../../client/errors.ts';
import { parseMime } from '../../client/mime.ts';
import type { Received } from '../../client/received.ts';
import { payloadText } from '../../client/received.ts';
import { NotDeliveredError } from '../../client/switchboard.ts';

/** Status code → words; the words are accepted by /status too. */
export const STATUS_WORDS: Readonly<Record<string, string>> = {
  NLN: 'online',
  BSY: 'busy',
  IDL: 'idle',
  BRB: 'be right back',
  AWY: 'away',
  PHN: 'on the phone',
  LUN: 'out to lunch',
  HDN: 'appearing offline',
};

const STATUS_ALIASES: Readonly<Record<string, string>> = {
  online: 'NLN',
  busy: 'BSY',
  idle: 'IDL',
  brb: 'BRB',
  away: 'AWY',
  phone: 'PHN',
  lunch: 'LUN',
  hidden: 'HDN',
  invisible: 'HDN',
  offline: 'HDN',
};

export const STATUS_CHOICES = 'online|busy|idle|brb|away|phone|lunch|hidden';

/** 'away' or 'AWY' → 'AWY'; undefined when it is neither. */
export function statusCode(value: string): string | undefined {
  const upper = value.toUpperCase();
  if (upper in STATUS_WORDS) return upper;
  return STATUS_ALIASES[value.toLowerCase()];
}

export function statusWords(status: string | null | undefined): string {
  if (status === null || status === undefined) return 'offline';
  return STATUS_WORDS[status] ?? status;
}

/** HH:MM, local time. */
export function clock(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** Why the server ended the session (MSNP5.md 9.26). */
export function endWords(reason: string | undefined): string {
  if (reason === 'OTH') return 'signed out: you signed in somewhere else';
  if (reason === 'SSD') return 'signed out: the server is shutting down';
  if (reason === '') return 'signed out';
  return 'signed out: the connection to the server was lost';
}

/** An error of a command in words; the request tells which contact it was about. */
export function errorWords(error: unknown, ownHandle: string): string {
  if (error instanceof MsnpError) return codeWords(error.code, error.request.split(' '), ownHandle);
  if (error instanceof NotDeliveredError) return 'the message was not delivered to everyone in the conversation';
  if (error instanceof ConnectionClosedError) return 'the connection closed before the server answered';
  if (error instanceof WaitTimeoutError) return 'the server did not answer in time';
  return error instanceof Error ? error.message : String(error);
}

function codeWords(code: number, request: string[], ownHandle: string): string {
  const [command = '', , first = '', second = ''] = request;
  const list = command === 'ADD' || command === 'REM' ? first : '';
  const who = command === 'ADD' || command === 'REM' ? second : command === 'CAL' ? first : '';
  const listName = list === 'BL' ? 'blocked list' : list === 'AL' ? 'allowed list' : 'contacts';
  switch (code) {
    case 201:
      if (command === 'ADD' && who === ownHandle) return 'you cannot add yourself';
      if (command === 'ADD') return `${who} is not a valid address`;
      if (command === 'CHG') return 'that status is not allowed';
      return 'the server refused that as invalid';
    case 205:
      return `there is no account ${who}`;
    case 208:
      return `${who} is not a valid address`;
    case 209:
      return 'that name is not allowed';
    case 210:
      return list === 'BL' ? 'your blocked list is full' : 'your contact list is full';
    case 215:
      if (command === 'CAL') return who === ownHandle ? 'you cannot invite yourself' : `${who} is already in this conversation`;
      return list === 'BL' ? `${who} is already blocked` : `${who} is already in your ${listName}`;
    case 216:
      if (command === 'REA') return 'that is not one of your contacts';
      return list === 'BL' ? `${who} is not blocked` : `${who} is not in your ${listName}`;
    case 217:
      return `${who} is offline or does not accept messages`;
    case 218:
      return 'it is already so';
    case 219:
      return `${who} cannot be allowed and blocked at once`;
    case 280:
    case 281:
      return 'the server could not open a conversation; try again';
    case 500:
    case 501:
      return 'the server failed to do that; try again';
    case 600:
    case 910:
    case 922:
      return 'the server is busy; try again later';
    case 601:
      return 'the server is unavailable; try again later';
    case 604:
      return 'the server is shutting down';
    case 713:
      return 'you are doing that too often; wait a little';
    case 714:
      return 'you have too many conversations open';
    case 715:
      return 'the server did not expect that';
    case 800:
      return 'you are changing that too often; wait a little';
    case 911:
      return 'wrong handle or password';
    case 913:
      return 'you cannot chat while appearing offline; /status online first';
    case 920:
      return 'the server does not accept sign-ins now';
    case 923:
      return 'this account needs parental consent';
    case 924:
      return 'this account is not verified yet; check your e-mail';
    default:
      return `the server refused that (error ${code})`;
  }
}

/** A NOT or IPG alert's text and link (MSNP5.md 12.7); undefined when it has no text. */
export function alertWords(alert: Received): string | undefined {
  const xml = payloadText(alert);
  const text = /<TEXT>([\s\S]*?)<\/TEXT>/i.exec(xml)?.[1];
  if (text === undefined) return undefined;
  const action = /<ACTION\s+url="([^"]*)"/i.exec(xml)?.[1];
  const site = /siteurl="([^"]*)"/i.exec(xml)?.[1] ?? '';
  const shown = unescapeXml(text).trim();
  return action ? `${shown} (${joinUrl(unescapeXml(site), unescapeXml(action))})` : shown;
}

/** A mail notice from the NS (`MSG Hotmail Hotmail`, MSNP5.md 12.2) in words; undefined for other messages. */
export function mailWords(message: Received): string | undefined {
  const { headers, body } = parseMime(message.payload ?? Buffer.alloc(0));
  const type = (Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '').toLowerCase();
  const fields = parseMime(`${body}\r\n\r\n`).headers;
  if (type.startsWith('text/x-msmsgsinitialemailnotification')) {
    const unread = Number(fields['Inbox-Unread'] ?? 0) + Number(fields['Folders-Unread'] ?? 0);
    return `you have ${unread} unread e-mail${unread === 1 ? '' : 's'}`;
  }
  if (type.includes('msmsgsemailnotification') && fields.From !== undefined) {
    const from = fields['From-Addr'] ? `${fields.From} <${fields['From-Addr']}>` : fields.From;
    return `new e-mail from ${from}${fields.Subject ? `: ${fields.Subject}` : ''}`;
  }
  return undefined;
}

/** The client puts the document's siteurl before the ACTION url (MSNP5.md 12.7). */
function joinUrl(site: string, action: string): string {
  return /^https?:\/\//i.test(action) ? action : `${site}${action}`;
}

function unescapeXml(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&amp;', '&');
}
