// FND: the member directory (MSNP5.md 9.17).
import { findMembers } from '../../core/directory.ts';
import { failure, isFailure } from '../../core/failure.ts';
import type { DirectoryHit } from '../../core/store.ts';
import { findResultTokens, parseFindQuery as parseFindFields } from '../../protocol/directory.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { encodeLine } from '../../protocol/line.ts';
import type { Answer } from '../dispatcher.ts';
import type { NsContext } from './context.ts';

/** FND: all result lines at once, `FND t 0 0` for none; 201 for a bad query, 301 for too many. */
export async function fnd(ctx: NsContext, args: string[], trid: string): Promise<Answer> {
  ctx.lastFind = [];
  const query = parseFindQuery(args);
  if (!query) return failure(ErrorCode.INVALID_PARAMETER);
  const outcome = await findMembers(ctx.server.store, query);
  if (isFailure(outcome)) return outcome;
  const { hits } = outcome;
  ctx.lastFind = hits;
  if (hits.length === 0) return ctx.reply('FND', trid, 0, 0);
  // Results never carry account names (MSNP5.md 9.17): only the directory fields.
  ctx.replyBatch(hits.map((hit, i) => encodeLine('FND', trid, i + 1, hits.length, ...resultTokens(hit))));
}

function parseFindQuery(args: string[]) {
  const fields = parseFindFields(args);
  return fields && { firstName: fields.fname, lastName: fields.lname, city: fields.city, state: fields.state, country: fields.country };
}

function resultTokens(hit: DirectoryHit): string[] {
  return findResultTokens({ fname: hit.firstName, lname: hit.lastName, city: hit.city, state: hit.state, country: hit.country });
}
