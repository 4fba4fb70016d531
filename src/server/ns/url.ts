// URL (MSNP5.md 9.16): where each service of the client's menus leads, per dialect.
import { failure } from '../../core/failure.ts';
import { SERVICE_PAGES, WEB_LOGIN_PATH } from '../../core/web-pages.ts';
import type { DialectFlag } from '../../protocol/dialects.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { Answer, Params } from '../dispatcher.ts';
import type { NsContext } from './context.ts';

interface ServiceUrl {
  /** The dialect feature that brings the service (the dialect table); absent: every dialect. */
  feature?: DialectFlag;
  siteId: number;
  /** msnd's own page (absolute from MSNP3) rather than a Hotmail path for the webmail. */
  ownPage: boolean;
  /** The parameter, when given, is an LCID; anything else is answered 201 (a decision). */
  takesLcid?: boolean;
  path(param: string | undefined): string;
}

// Site ids: 2 (Hotmail) and 961 (mobile) as in sessions.md session 10; PERSON and PASSWORD use 2
// too (a decision: no source gives theirs). PROFILE 4263, N2PACCOUNT 2823 and CHAT 2260 as in
// [YW URL]; N2PFUND has none there and shares Net2Phone's 2823 (a decision). msnd runs no Net2Phone
// and no chat rooms: their URLs lead to msnd pages that send the browser on to the operator's
// service, or say that this server does not offer it (src/web/routes/partners.ts).
const URL_SERVICES: Readonly<Record<string, ServiceUrl>> = {
  INBOX: { siteId: 2, ownPage: false, path: () => '/cgi-bin/HoTMaiL' },
  COMPOSE: { siteId: 2, ownPage: false, path: composePath },
  FOLDERS: { siteId: 2, ownPage: false, path: () => '/cgi-bin/folders' },
  MESSAGE: { siteId: 2, ownPage: false, path: () => '/cgi-bin/getmsg' },
  PERSON: { siteId: 2, ownPage: true, path: () => '/person' },
  PASSWORD: { siteId: 2, ownPage: true, path: () => '/password' },
  MOBILE: { feature: 'mobileCommands', siteId: 961, ownPage: true, path: () => '/mobile/setup' },
  CHGMOB: { feature: 'mobileCommands', siteId: 961, ownPage: true, path: () => '/mobile/settings' },
  PROFILE: { feature: 'challenges', siteId: 4263, ownPage: true, takesLcid: true, path: () => SERVICE_PAGES.PROFILE },
  N2PACCOUNT: { feature: 'net2phone', siteId: 2823, ownPage: true, takesLcid: true, path: () => SERVICE_PAGES.N2PACCOUNT },
  N2PFUND: { feature: 'net2phone', siteId: 2823, ownPage: true, takesLcid: true, path: () => SERVICE_PAGES.N2PFUND },
  CHAT: { feature: 'chatRooms', siteId: 2260, ownPage: true, takesLcid: true, path: () => SERVICE_PAGES.CHAT },
};

function composePath(address: string | undefined): string {
  return address === undefined ? '/cgi-bin/compose' : `/cgi-bin/compose?mailto=1&to=${urlEncodeBytes(address)}`;
}

/** Where a URL service leads: `rru`/`ru`, the auto-login page and the Passport site id (MSNP5.md 9.16). */
export interface ServiceTarget {
  redirect: string;
  login: string;
  siteId: number;
}

/**
 * The target of a service in this session's dialect; undefined when the dialect has no such service
 * or its LCID parameter is malformed. Webmail services lead to Hotmail's relative paths, which msnd's
 * login page passes on to the webmail; msnd's own pages are absolute from MSNP3.
 */
export function serviceTarget(s: NsContext, service: string, param?: string): ServiceTarget | undefined {
  const entry = Object.hasOwn(URL_SERVICES, service) ? URL_SERVICES[service] : undefined;
  if (!entry || (entry.feature && !s.features[entry.feature])) return undefined;
  if (entry.takesLcid && param !== undefined && !isLcid(param)) return undefined;
  const web = s.server.webBaseUrl();
  const absolute = entry.ownPage && s.features.urlSiteId;
  const redirect = absolute ? `${web}${entry.path(param)}` : entry.path(param);
  // lc: msnd's pages are in English (LCID 1033) for everyone.
  return { redirect, login: `${web}${WEB_LOGIN_PATH}?lc=1033`, siteId: entry.siteId };
}

/** `URL t <redirect> <login-url> <site-id>`; MSNP2 has no site id and no absolute redirects. */
export function url(s: NsContext, [service, param]: Params<1>, trid: string): Answer {
  const target = serviceTarget(s, service, param);
  // Unknown service, one of another dialect, or a bad LCID → 201 (MSNP5.md 9.16, a decision).
  if (!target) return failure(ErrorCode.INVALID_PARAMETER);
  if (s.features.urlSiteId) s.reply('URL', trid, target.redirect, target.login, target.siteId);
  else s.reply('URL', trid, target.redirect, target.login);
}

/** Every byte but A–Z a–z 0–9 - . _ ~ as %XX (a parameter is latin1: one char per byte). */
function urlEncodeBytes(token: string): string {
  return [...Buffer.from(token, 'latin1')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** `0x0409` or decimal. */
export function isLcid(token: string | undefined): boolean {
  return token !== undefined && /^(0x[0-9A-Fa-f]{1,8}|[0-9]{1,10})$/.test(token);
}
