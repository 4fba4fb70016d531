// Reading MIME-style payloads (MSNP5.md 12): 'Name: value' header lines, an empty line, the body.

export interface MimeMessage {
  /** header name (as sent) → value; a repeated header keeps its last value */
  headers: Record<string, string>;
  body: string;
}

const HEADER_END = '\r\n\r\n';

/** Parses a payload as UTF-8 text; header lines without ':' are skipped. */
export function parseMime(payload: Buffer | string): MimeMessage {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  const end = text.indexOf(HEADER_END);
  const head = end === -1 ? text : text.slice(0, end);
  const body = end === -1 ? '' : text.slice(end + HEADER_END.length);
  return { headers: parseHeaderLines(head), body };
}

/** Looks a header up case-insensitively (header names are not case-sensitive, MSNP5.md 12). */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : headers[key];
}

function parseHeaderLines(head: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return headers;
}
