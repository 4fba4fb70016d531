// Where msnd's web server serves the pages that URL hands out (MSNP5.md 9.16). The NS answers URL
// with these paths under the web server's public address; the web server serves them.

/** The auto-login page: the client posts its hidden form here (MSNP5.md 9.16). */
export const WEB_LOGIN_PATH = '/md5auth';

/** The page of each URL service msnd offers, relative to the web server's public address. */
export const SERVICE_PAGES = {
  INBOX: '/inbox',
  COMPOSE: '/compose',
  FOLDERS: '/folders',
  PERSON: '/person',
  PASSWORD: '/password',
  MOBILE: '/mobile/setup',
  CHGMOB: '/mobile/settings',
  PROFILE: '/profile',
  // Services msnd does not run: these pages send the browser on to the operator's, if any.
  N2PACCOUNT: '/net2phone/account',
  N2PFUND: '/net2phone/fund',
  CHAT: '/chat',
} as const;

/** The URL services msnd leaves to others (MSNP5.md 9.16: Net2Phone in MSNP6, chat rooms from MSNP7). */
export const PARTNER_SERVICES = ['N2PACCOUNT', 'N2PFUND', 'CHAT'] as const;
export type PartnerService = (typeof PARTNER_SERVICES)[number];

export type WebService = keyof typeof SERVICE_PAGES;

/**
 * Hotmail's paths, which URL may answer for INBOX, COMPOSE, FOLDERS and MESSAGE (MSNP5.md 9.16,
 * sessions.md session 10); the web server passes them on to the operator's webmail as well.
 */
export const HOTMAIL_PATHS = ['/cgi-bin/HoTMaiL', '/cgi-bin/compose', '/cgi-bin/folders', '/cgi-bin/getmsg'] as const;

/** Where to get a Messenger client and how to point it at this server: the download URL of CVR/CVQ (MSNP5.md 9.3). */
export const DOWNLOAD_PATH = '/download';

/** The e-mail verification link of the sign-up page. */
export const VERIFY_PATH = '/verify';

/** `base` (e.g. `http://127.0.0.1:8080`, no trailing slash needed) joined with a path. */
export function webUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
