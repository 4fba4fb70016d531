// Command lines: TrIDs and encoding of outgoing lines (MSNP5.md 3.1, 3.2, 3.6).
const MAX_TRID = 4294967295;
const DIGITS = /^[0-9]+$/;
/** A token must not break the line apart, and must fit latin1 (one byte per char). */
const UNSAFE_TOKEN = /[ \r\n]|[^\x00-\xff]/;

/** Decimal digits only, value 0..4294967295 (MSNP5.md 3.2); leading zeros are fine. */
export function isTrId(token: string): boolean {
  if (!DIGITS.test(token)) return false;
  const significant = token.replace(/^0+/, '');
  return significant.length <= 10 && Number(significant) <= MAX_TRID;
}

/**
 * 'NAME a b\r\n' as latin1 bytes; '' args are skipped so an empty optional value is omitted.
 * Throws RangeError for a token with a space, CR, LF or a char above U+00FF, or a non-finite
 * number: those would corrupt or split the line.
 */
export function encodeLine(name: string, ...args: (string | number)[]): Buffer {
  return Buffer.from(lineText(name, args), 'latin1');
}

/** The text of encodeLine's line, with its checks: for a batch of many lines encoded at once (encodeLines). */
export function textLine(name: string, ...args: (string | number)[]): string {
  return lineText(name, args);
}

/**
 * One argument as a line carries it after the name: ` token`, or '' for an empty value (omitted,
 * as in encodeLine), with encodeLine's checks. For lines built as text, a value used on many
 * lines (a contact's handle in SYN) checked once.
 */
export function tokenText(value: string | number): string {
  const token = checkedToken(value);
  return token === '' ? '' : ` ${token}`;
}

/** Text of whole lines (textLine, tokenText) as one buffer: one allocation for a whole SYN, not one per line and a copy. */
export function encodeText(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** The line with the payload's byte length appended as last arg, then the payload bytes (MSNP5.md 3.6). */
export function encodePayloadCommand(name: string, args: (string | number)[], payload: Buffer): Buffer {
  const text = lineText(name, [...args, payload.length]);
  const out = Buffer.allocUnsafe(text.length + payload.length);
  out.write(text, 0, 'latin1');
  payload.copy(out, text.length);
  return out;
}

function lineText(name: string, args: readonly (string | number)[]): string {
  let text = checkedToken(name);
  if (text === '') throw new RangeError('command name is empty');
  for (const arg of args) {
    const token = checkedToken(arg);
    if (token !== '') text += ' ' + token;
  }
  return text + '\r\n';
}

function checkedToken(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return String(value);
  }
  if (UNSAFE_TOKEN.test(value)) throw new RangeError(`unsafe token: ${JSON.stringify(value)}`);
  return value;
}
