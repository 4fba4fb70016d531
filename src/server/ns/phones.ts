// PRP and BPR: phone numbers and the mobile flags (MSNP5.md 9.14, 9.15).
import type { Phones } from '../../core/types.ts';
import { failure } from '../../core/failure.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { textLine, tokenText } from '../../protocol/line.ts';
import { acceptEncoded, PHONE_MAX_BYTES } from '../../protocol/names.ts';
import { type Answer, close, type Params } from '../dispatcher.ts';
import type { NsContext } from './context.ts';

const PHONE_PROPERTIES = new Set(['PHH', 'PHW', 'PHM', 'MOB']);

/** PRP (MSNP5.md 9.14). */
export async function prp(ctx: NsContext, [property, rawValue]: Params<1>, trid: string): Promise<Answer> {
  if (property.length > 3) return close('property name too long');
  if (!PHONE_PROPERTIES.has(property)) return failure(ErrorCode.NOT_EXPECTED);
  let value = rawValue ?? '';
  if (property === 'MOB') {
    if (value !== 'Y' && value !== 'N') return close('MOB takes Y or N');
  } else if (value !== '') {
    const checked = acceptEncoded(value, PHONE_MAX_BYTES);
    if (!checked.ok) return close('bad phone value');
    value = checked.wire;
  }
  const result = await ctx.user.setPhone(property as 'PHH' | 'PHW' | 'PHM' | 'MOB', value);
  ctx.reply('PRP', trid, result.version, property, result.value);
}

/** The five PRP lines of SYN, values omitted when empty (MSNP5.md 9.4). */
export function ownPhoneText(trid: string, version: number, phones: Phones): string {
  let text = '';
  for (const p of ['PHH', 'PHW', 'PHM', 'MOB', 'MBE'] as const) text += textLine('PRP', trid, version, p, phones[p]);
  return text;
}

/**
 * The four BPR lines of one FL contact (MSNP5.md 9.15). `version` and `handle` as tokenText gives
 * them: SYN checks each once for all the lines they are on.
 */
export function contactPhoneText(version: string, handle: string, phones: Phones): string {
  const head = `BPR${version}${handle}`;
  return (
    `${head} PHH${tokenText(phones.PHH)}\r\n${head} PHW${tokenText(phones.PHW)}\r\n` +
    `${head} PHM${tokenText(phones.PHM)}\r\n${head} MOB${tokenText(phones.MOB)}\r\n`
  );
}
