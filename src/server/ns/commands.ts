// The Notification Server's commands (MSNP5.md 6, 7, 9): one row each, checked by the dispatcher.
import type { Dialect } from '../../protocol/dialects.ts';
import { featuresOf } from '../../protocol/dialects.ts';
import { type CommandTable, rowOf } from '../dispatcher.ts';
import { VERSION_QUERY_PARAMS } from '../negotiation.ts';
import { QRY_MAX_BYTES } from './challenges.ts';
import type { NsContext, NsPhase } from './context.ts';
import { fnd } from './directory.ts';
import { adg, lsg, reg, rmg } from './groups.ts';
import { sdc, sdcPayloadRule, snd } from './invitations.ts';
import { add, anyList, blp, editableList, gtc, lst, parseSetting, parseSynVersion, rea, rem, syn } from './lists.ts';
import { cvr, inf, out, parseUsr, png, usr, ver } from './login.ts';
import { PAG_MAX_BYTES, pag } from './paging.ts';
import { prp } from './phones.ts';
import { chg } from './presence.ts';
import { ims, xfr } from './switchboards.ts';
import { url } from './url.ts';

const row = rowOf<NsContext, NsPhase>();

const SIGNED_IN: readonly NsPhase[] = ['authenticated'];
/** PNG and CVR are answered once VER has been (MSNP5.md 7, D-6). */
const AFTER_VER: readonly NsPhase[] = ['negotiated', 'challenged', 'authenticated'];

/** MSNP5.md 7: the login commands; every other command closes before USR OK. */
export const NS_COMMANDS: CommandTable<NsContext, NsPhase> = {
  VER: row({ phases: ['connected'], notExpectedIn: ['negotiated', 'challenged'], params: [1, 1024], run: (c, a, r) => ver(c, a, r.trid) }),
  INF: row({ phases: ['negotiated'], notExpectedIn: ['challenged'], params: [0, 0], run: (c, a, r) => inf(c, a, r.trid) }),
  USR: row({ phases: AFTER_VER, params: [0, 3], parse: parseUsr, run: (c, a, r) => usr(c, a, r.trid) }),
  CVR: row({ phases: AFTER_VER, params: VERSION_QUERY_PARAMS, run: (c, a, r) => cvr(c, a, r.trid) }),
  PNG: row({ phases: AFTER_VER, trid: false, params: [0, 0], run: png }),
  OUT: row({ phases: SIGNED_IN, trid: false, params: [0, 0], run: out }),

  SYN: row({ phases: SIGNED_IN, params: [1, 1], parse: parseSynVersion, run: (c, a, r) => syn(c, a, r.trid) }),
  LST: row({ phases: SIGNED_IN, params: [1, 1], parse: anyList, run: (c, a, r) => lst(c, a, r.trid) }),
  GTC: row<1, 'A' | 'N'>({
    phases: SIGNED_IN,
    params: [1, 1],
    parse: parseSetting(['A', 'N'] as const, 'GTC'),
    run: (c, a, r) => gtc(c, a, r.trid),
  }),
  BLP: row<1, 'AL' | 'BL'>({
    phases: SIGNED_IN,
    params: [1, 1],
    parse: parseSetting(['AL', 'BL'] as const, 'BLP'),
    run: (c, a, r) => blp(c, a, r.trid),
  }),
  ADD: row({ phases: SIGNED_IN, params: [3, 4], parse: editableList, run: (c, a, r) => add(c, a, r.trid) }),
  REM: row({ phases: SIGNED_IN, params: [2, 3], parse: editableList, run: (c, a, r) => rem(c, a, r.trid) }),
  REA: row({ phases: SIGNED_IN, params: [2, 2], run: (c, a, r) => rea(c, a, r.trid) }),
  CHG: row({ phases: SIGNED_IN, params: [1, 1], run: (c, a, r) => chg(c, a, r.trid) }),
  XFR: row({ phases: SIGNED_IN, params: [1, 1], run: (c, a, r) => xfr(c, a, r.trid) }),
  URL: row({ phases: SIGNED_IN, params: [1, 2], run: (c, a, r) => url(c, a, r.trid) }),
  FND: row({ phases: SIGNED_IN, params: [5, 5], run: (c, a, r) => fnd(c, a, r.trid) }),
  SND: row({ phases: SIGNED_IN, params: [0, 63], run: (c, a, r) => snd(c, a, r.trid) }),
  IMS: row({ feature: 'ims', phases: SIGNED_IN, params: [1, 1], run: (c, a, r) => ims(c, a, r.trid) }),

  PRP: row({ feature: 'mobileCommands', phases: SIGNED_IN, params: [1, 2], run: (c, a, r) => prp(c, a, r.trid) }),
  SDC: row({
    feature: 'mobileCommands',
    phases: SIGNED_IN,
    params: [0, 63],
    payload: sdcPayloadRule,
    run: (c, a, r) => sdc(c, a, r.trid, r.payload),
  }),
  PAG: row({
    feature: 'mobileCommands',
    phases: SIGNED_IN,
    params: [2, 2],
    payload: () => ({ maxBytes: PAG_MAX_BYTES }),
    run: (c, a, r) => pag(c, a, r.trid, r.payload),
  }),

  QRY: row({
    feature: 'challenges',
    phases: SIGNED_IN,
    params: [2, 2],
    payload: () => ({ maxBytes: QRY_MAX_BYTES }),
    run: (c, [clientId], r) => c.challenges.answer(r.trid, clientId, r.payload ?? Buffer.alloc(0)),
  }),
  CHL: row({ feature: 'challenges', phases: SIGNED_IN, params: [0, 0], run: (c, _a, r) => c.challenges.requested(r.trid) }),

  LSG: row({ feature: 'groups', phases: SIGNED_IN, params: [0, 0], run: (c, a, r) => lsg(c, a, r.trid) }),
  ADG: row({ feature: 'groups', phases: SIGNED_IN, params: [2, 2], run: (c, a, r) => adg(c, a, r.trid) }),
  RMG: row({ feature: 'groups', phases: SIGNED_IN, params: [1, 1], run: (c, a, r) => rmg(c, a, r.trid) }),
  REG: row({ feature: 'groups', phases: SIGNED_IN, params: [3, 3], run: (c, a, r) => reg(c, a, r.trid) }),
};

/** Which client commands the NS knows in a dialect (MSNP5.md 3.7, 4.2: a command of another dialect is unknown). */
export function nsCommandExists(dialect: Dialect, name: string): boolean {
  const found = Object.hasOwn(NS_COMMANDS, name) ? NS_COMMANDS[name] : undefined;
  return found !== undefined && (found.feature === undefined || featuresOf(dialect)[found.feature]);
}
