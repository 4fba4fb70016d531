// Friendly names on the wire are %-encoded UTF-8 (MSNP5.md 3.4). This client keeps and takes names
// in their wire form everywhere; these helpers convert to and from display text.
import { canonicalEncode, percentDecode } from '../protocol/names.ts';

/** Display text → wire form ('Alice A' → 'Alice%20A'). */
export function encodeName(text: string): string {
  return canonicalEncode(text);
}

/** Wire form → display text ('Caf%C3%A9' → 'Café'). */
export function decodeName(wire: string): string {
  return percentDecode(wire).toString('utf8');
}

/** The nickname official clients use for a new contact: its handle with '@' as '%40' (sessions.md 4). */
export function handleAsName(handle: string): string {
  return handle.replaceAll('@', '%40');
}
