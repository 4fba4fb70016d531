// The URL auto-login (MSNP5.md 9.16): the client posts a hidden form built from its profile message
// (12.1) and its password; msnd signs the browser in only for the session that issued the MSPAuth.
import { md5Hex } from '../protocol/md5.ts';
import { normalizeHandle } from '../protocol/names.ts';
import type { WebDeps } from './deps.ts';
import { sameText } from './keys.ts';

/** The fields of the hidden form that msnd checks (mode, sid, kv and id are not checked). */
export interface LoginForm {
  login?: string;
  username?: string;
  auth?: string;
  creds?: string;
  sl?: string;
  rru?: string;
  ru?: string;
}

export type FormCheck = { ok: true; accountId: number; handle: string } | { ok: false; reason: string };

/** How far a client's clock may run ahead of the server's when it computes `sl` (Decision). */
const CLOCK_SKEW_SECONDS = 60;

/**
 * Accepts the form when `auth` is the MSPAuth of a current NS session of the named account, `sl`
 * is neither in the future nor older than the configured age, and `creds` =
 * MD5(MSPAuth + sl + password) with the account's messenger password (MSNP5.md 9.16).
 */
export async function checkLoginForm(deps: WebDeps, form: LoginForm): Promise<FormCheck> {
  const session = form.auth ? await deps.bus.webSessions.get(form.auth) : undefined;
  if (!session) return { ok: false, reason: 'no current session has this MSPAuth' };
  if (!namesAccount(form, session.handle)) return { ok: false, reason: 'MSPAuth of another account' };
  const age = formAgeSeconds(form.sl, session.loginTime, deps.now());
  if (age === undefined) return { ok: false, reason: 'bad sl' };
  if (age < -CLOCK_SKEW_SECONDS) return { ok: false, reason: 'form from the future' };
  if (age * 1000 > deps.settings.formMaxAgeMs) return { ok: false, reason: 'stale form' };
  const password = await deps.store.secretOf(session.handle);
  if (password === undefined || !credsMatch(form, password)) return { ok: false, reason: 'wrong creds' };
  const account = await deps.store.findAccount(session.handle);
  if (!account) return { ok: false, reason: 'account gone' };
  return { ok: true, accountId: account.id, handle: account.handle };
}

/**
 * `login` and `username` name the account: the handle, or (as some clients post `login`) the part
 * before the '@'. Every one given must name the session's account.
 */
function namesAccount(form: LoginForm, handle: string): boolean {
  const named = [form.login, form.username].filter((v): v is string => typeof v === 'string' && v !== '');
  const localPart = handle.slice(0, handle.indexOf('@'));
  return named.length > 0 && named.every((name) => [handle, localPart].includes(normalizeHandle(name)));
}

/** Seconds between the moment the client built the form (LoginTime + sl) and now. */
function formAgeSeconds(sl: string | undefined, loginTime: number, nowMs: number): number | undefined {
  if (sl === undefined || !/^\d{1,10}$/.test(sl)) return undefined;
  return nowMs / 1000 - (loginTime + Number(sl));
}

function credsMatch(form: LoginForm, password: string): boolean {
  const creds = form.creds ?? '';
  if (!/^[0-9a-fA-F]{32}$/.test(creds)) return false;
  return sameText(creds.toLowerCase(), md5Hex(form.auth ?? '', form.sl ?? '', password));
}

/**
 * Where a signed-in browser goes: `rru` (a path of this server) or `ru` (an absolute URL of this
 * server or of the operator's webmail). Anything else goes to the home page: no open redirect.
 */
export function redirectTarget(form: LoginForm, baseUrl: string, webmail: string | undefined): string {
  if (form.rru) return ownPath(form.rru, baseUrl) ?? '/';
  if (form.ru) return allowedAbsolute(form.ru, baseUrl, webmail) ?? '/';
  return '/';
}

function ownPath(path: string, baseUrl: string): string | undefined {
  if (!path.startsWith('/') || path.startsWith('//') || /[\\\s]/.test(path)) return undefined;
  const url = parseUrl(path, baseUrl);
  const base = parseUrl(baseUrl);
  if (!url || !base || url.origin !== base.origin) return undefined;
  return url.pathname + url.search;
}

function allowedAbsolute(target: string, baseUrl: string, webmail: string | undefined): string | undefined {
  const url = parseUrl(target);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined;
  const base = parseUrl(baseUrl);
  if (base && url.origin === base.origin) return url.pathname + url.search;
  const mail = webmail ? parseUrl(webmail) : undefined;
  if (mail && url.origin === mail.origin && isUnder(url.pathname, mail.pathname)) return url.href;
  return undefined;
}

/** `/owa`, `/owa/` and `/owa/inbox` are under `/owa`; `/owa-x` is not. */
function isUnder(path: string, root: string): boolean {
  const dir = root.endsWith('/') ? root : `${root}/`;
  return path === root || path.startsWith(dir);
}

function parseUrl(text: string, base?: string): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}
