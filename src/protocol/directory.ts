// FND lines: the query's five fields and the result lines (MSNP5.md 9.17).
import { acceptEncoded, canonicalEncode } from './names.ts';

export const FIND_FIELDS = ['fname', 'lname', 'city', 'state', 'country'] as const;
export type FindField = (typeof FIND_FIELDS)[number];
export type FindFields = Record<FindField, string>;

/** Longest encoded field value msnd reads (as long as a friendly name). */
const FIELD_MAX_BYTES = 387;

/**
 * `fname=<f> lname=<l> city=<c> state=<s> country=<cc>` → the decoded values (an empty value is
 * ''); undefined when a key is missing, out of order, or a value is not UTF-8 text.
 */
export function parseFindQuery(tokens: readonly string[]): FindFields | undefined {
  if (tokens.length !== FIND_FIELDS.length) return undefined;
  const fields: Partial<FindFields> = {};
  for (const [i, key] of FIND_FIELDS.entries()) {
    const token = tokens[i]!;
    if (!token.startsWith(`${key}=`)) return undefined;
    const value = decodeField(token.slice(key.length + 1));
    if (value === undefined) return undefined;
    fields[key] = value;
  }
  return fields as FindFields;
}

/** The five `key=value` tokens of a result line, values canonically %-encoded (MSNP5.md 3.4). */
export function findResultTokens(fields: FindFields): string[] {
  return FIND_FIELDS.map((key) => `${key}=${canonicalEncode(fields[key])}`);
}

/**
 * True when a directory value, written canonically in an FND result, is one msnd also reads in an
 * FND query (MSNP5.md 3.4): empty, or text without control characters within FIELD_MAX_BYTES encoded.
 */
export function isDirectoryValue(text: string): boolean {
  return text === '' || acceptEncoded(canonicalEncode(text), FIELD_MAX_BYTES).ok;
}

function decodeField(encoded: string): string | undefined {
  if (encoded === '') return '';
  const checked = acceptEncoded(encoded, FIELD_MAX_BYTES);
  return checked.ok ? checked.text : undefined;
}
