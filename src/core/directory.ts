// The member directory and FND (MSNP5.md 9.17).
import type { Outcome } from './failure.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { DirectoryHit, DirectoryQuery, Store } from './store.ts';

/** More matches than this → 301 (MSNP5.md 9.17, 14: a decision). */
export const DIRECTORY_RESULT_LIMIT = 25;

/** `*` means "any" for city, state and country; first and last name must be given (MSNP5.md 9.17). */
export const ANY = '*';

/** A FND query as decoded text; each field may be `*`. */
export interface FindQuery {
  firstName: string;
  lastName: string;
  city: string;
  state: string;
  country: string;
}

export type FindOutcome = Outcome<{ hits: DirectoryHit[] }>;

/**
 * The search key of a directory field. Matching is case-insensitive on the decoded values
 * (MSNP5.md 9.17, a decision); the store compares these keys, so both engines agree on Unicode.
 */
export function directoryKey(text: string): string {
  return text.normalize('NFC').trim().toLowerCase();
}

/** FND (MSNP5.md 9.17): 201 without a first and last name, 301 beyond `limit` matches. */
export async function findMembers(store: Store, query: FindQuery, limit = DIRECTORY_RESULT_LIMIT): Promise<FindOutcome> {
  if (isAny(query.firstName) || isAny(query.lastName)) return { error: ErrorCode.INVALID_PARAMETER };
  const hits = await store.searchDirectory(toStoreQuery(query), limit + 1);
  if (hits.length > limit) return { error: ErrorCode.TOO_MANY_RESULTS };
  return { ok: true, hits };
}

function toStoreQuery(query: FindQuery): DirectoryQuery {
  return {
    firstName: query.firstName,
    lastName: query.lastName,
    ...(!isAny(query.city) && { city: query.city }),
    ...(!isAny(query.state) && { state: query.state }),
    ...(!isAny(query.country) && { country: query.country }),
  };
}

function isAny(value: string): boolean {
  return directoryKey(value) === '' || value === ANY;
}
