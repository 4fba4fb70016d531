// Incoming pages (IPG, MSNP5.md 9.28): what a client shows of the `<NOTIFICATION>` document (12.7).
import type { Received } from './received.ts';

export interface ReceivedPage {
  /** FROM's name: the sender's handle (a phone number such as `tel:+15550100` if it came from a phone). */
  from: string;
  /** FROM's pid, `0x…:0x…`; '' when absent. */
  fromPid: string;
  /** The text, character references decoded. */
  text: string;
  /**
   * MSG's id: `1` for a page; any other value reports that a page this client sent failed (e.g. 407,
   * too long), and then `notificationId` is that PAG's TrID [YW IPG][Gaim].
   */
  messageId: string;
  notificationId: string;
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Reads an IPG (or its payload); undefined when it has no FROM name or no BODY TEXT. */
export function parseIncomingPage(ipg: Received | Buffer | string): ReceivedPage | undefined {
  const xml = typeof ipg === 'string' ? ipg : Buffer.isBuffer(ipg) ? ipg.toString('utf8') : (ipg.payload?.toString('utf8') ?? '');
  const from = attributes(xml, 'FROM');
  const text = /<BODY\b[^>]*>\s*<TEXT>([^<]*)<\/TEXT>/.exec(xml)?.[1];
  if (from.name === undefined || text === undefined) return undefined;
  return {
    from: from.name,
    fromPid: from.pid ?? '',
    text: unescapeXml(text),
    messageId: attributes(xml, 'MSG').id ?? '',
    notificationId: attributes(xml, 'NOTIFICATION').id ?? '',
  };
}

/** The attributes of the first `<element …>`, values unescaped. */
function attributes(xml: string, element: string): Record<string, string | undefined> {
  const tag = new RegExp(`<${element}\\b([^>]*)>`).exec(xml)?.[1] ?? '';
  const found: Record<string, string> = {};
  for (const [, name, value] of tag.matchAll(/([A-Za-z_:][\w.:-]*)\s*=\s*"([^"]*)"/g)) found[name!] = unescapeXml(value!);
  return found;
}

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (!ref.startsWith('#')) return NAMED[ref] ?? whole;
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
