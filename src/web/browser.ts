// The browser's sign-in: a signed, HttpOnly cookie naming the account and when it signed in, and a
// per-session form token that every signed-in form carries (CSRF).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../core/types.ts';
import type { WebDeps } from './deps.ts';
import { html, page } from './html.ts';
import { hmac, sameText } from './keys.ts';

export const SESSION_COOKIE = 'msnd_web';

/** A signed-in browser: the account, and the token its forms must carry. */
export interface Member {
  account: Account;
  formToken: string;
}

export function signInBrowser(deps: WebDeps, reply: FastifyReply, accountId: number): void {
  // The sign-in time in ms, so that an operator's end of the account's sessions (Account.sessionsEndedAt) is exact.
  const value = `${accountId}.${deps.now()}`;
  reply.setCookie(SESSION_COOKIE, value, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: deps.settings.baseUrl.startsWith('https:'),
    maxAge: Math.floor(deps.settings.sessionMs / 1000),
  });
}

export function signOutBrowser(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** The signed-in member of this request, if its cookie is genuine, unexpired and the account exists. */
export async function memberOf(deps: WebDeps, request: FastifyRequest): Promise<Member | undefined> {
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  const match = unsigned.valid && unsigned.value ? /^(\d{1,12})\.(\d{1,13})$/.exec(unsigned.value) : null;
  if (!match) return undefined;
  // Cookies written before sign-in times were kept in ms hold seconds.
  const signedInAt = match[2]!.length === 13 ? Number(match[2]) : Number(match[2]) * 1000;
  if (deps.now() - signedInAt > deps.settings.sessionMs) return undefined;
  const account = await deps.store.transaction((tx) => tx.accountById(Number(match[1])));
  // A disabled account's browser sessions end, as do those an operator ended (core/admin.ts).
  if (!account || account.disabled || signedInAt < account.sessionsEndedAt) return undefined;
  return { account, formToken: hmac(deps.keys.form, unsigned.value!) };
}

/** The member, or undefined after answering 401 with a page that says how to sign in. */
export async function requireMember(deps: WebDeps, request: FastifyRequest, reply: FastifyReply): Promise<Member | undefined> {
  const member = await memberOf(deps, request);
  if (member) return member;
  const body = html`<p>Please open this page from MSN Messenger (for example <b>Tools, Options</b> or the
<b>Mobile</b> menu): Messenger signs you in to these pages automatically.</p>
<p><a href="/">Home</a></p>`;
  await reply.code(401).type('text/html').send(page('Sign-in required', body));
  return undefined;
}

/** True when a POSTed form carries this member's form token. */
export function formTokenMatches(member: Member, body: Record<string, string | undefined>): boolean {
  return sameText(body.form_token ?? '', member.formToken);
}
