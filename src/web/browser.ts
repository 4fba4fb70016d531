// The browser's sign-in: a signed, HttpOnly cookie naming the account, when it signed in and a stamp
// of its password, and a per-session form token that every signed-in form carries (CSRF). A new
// password changes the stamp: every browser signed in with the old one is signed out.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../core/types.ts';
import type { WebDeps } from './deps.ts';
import { html, page } from './html.ts';
import { hmac, sameText } from './keys.ts';

export const SESSION_COOKIE = 'msnd_web';
export const SIGNIN_PATH = '/signin';
export const SIGNOUT_PATH = '/signout';

/** A signed-in browser: the account, and the token its forms must carry. */
export interface Member {
  account: Account;
  formToken: string;
}

/** Signs the browser in to the account (with its password as it is now); returns the new session's form token. */
export async function signInBrowser(deps: WebDeps, reply: FastifyReply, account: Pick<Account, 'id' | 'handle'>): Promise<string> {
  const secret = (await deps.store.secretOf(account.handle)) ?? '';
  // The sign-in time in ms, so that an operator's end of the account's sessions (Account.sessionsEndedAt) is exact.
  const value = `${account.id}.${deps.now()}.${passwordStamp(deps, account.id, secret)}`;
  reply.setCookie(SESSION_COOKIE, value, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: deps.settings.baseUrl.startsWith('https:'),
    maxAge: Math.floor(deps.settings.sessionMs / 1000),
  });
  return hmac(deps.keys.form, value);
}

export function signOutBrowser(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** A short keyed digest of the account's password: it names no password, but changes with it. */
function passwordStamp(deps: WebDeps, accountId: number, secret: string): string {
  return hmac(deps.keys.form, `session\n${accountId}\n${secret}`).slice(0, 22);
}

/**
 * The signed-in member of this request, if its cookie is genuine, unexpired, the account exists and
 * its password is still the one the browser signed in with.
 */
export async function memberOf(deps: WebDeps, request: FastifyRequest): Promise<Member | undefined> {
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  const match = unsigned.valid && unsigned.value ? /^(\d{1,12})\.(\d{1,13})\.([A-Za-z0-9_-]{22})$/.exec(unsigned.value) : null;
  if (!match) return undefined;
  const signedInAt = Number(match[2]);
  if (deps.now() - signedInAt > deps.settings.sessionMs) return undefined;
  const account = await deps.store.transaction((tx) => tx.accountById(Number(match[1])));
  // A disabled account's browser sessions end, as do those an operator ended (core/admin.ts).
  if (!account || account.disabled || signedInAt < account.sessionsEndedAt) return undefined;
  const secret = (await deps.store.secretOf(account.handle)) ?? '';
  if (!sameText(match[3]!, passwordStamp(deps, account.id, secret))) return undefined;
  return { account, formToken: hmac(deps.keys.form, unsigned.value!) };
}

/** The member, or undefined after answering 401 with a page that says how to sign in. */
export async function requireMember(deps: WebDeps, request: FastifyRequest, reply: FastifyReply): Promise<Member | undefined> {
  const member = await memberOf(deps, request);
  if (member) return member;
  const next = request.method === 'GET' ? request.url : '/';
  const body = html`<p>Please <a href="${signinLink(next)}" id="signin">sign in</a> with your e-mail address and
Messenger password, or open this page from MSN Messenger (for example <b>Tools, Options</b> or the
<b>Mobile</b> menu): Messenger signs you in to these pages automatically.</p>
<p><a href="/">Home</a></p>`;
  await reply.code(401).type('text/html').send(page('Sign-in required', body));
  return undefined;
}

/** The sign-in page, coming back to `next` (a path of this server) afterwards. */
export function signinLink(next: string): string {
  return next === '/' ? SIGNIN_PATH : `${SIGNIN_PATH}?${new URLSearchParams({ next })}`;
}

/** True when a POSTed form carries this member's form token. */
export function formTokenMatches(member: Member, body: Record<string, string | undefined>): boolean {
  return sameText(body.form_token ?? '', member.formToken);
}
