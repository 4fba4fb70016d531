// A member's sign-in from a plain browser (handle and messenger password) and the deletion of
// their own account.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isValidHandle, normalizeHandle } from '../../protocol/names.ts';
import { formTokenMatches, memberOf, requireMember, SIGNIN_PATH, signInBrowser, signOutBrowser, type Member } from '../browser.ts';
import type { WebDeps } from '../deps.ts';
import { EXPIRED_FORM, formFields, sendPage, type Fields, type Notice } from '../forms.ts';
import { html, input, row } from '../html.ts';
import { checkPassword, deleteMemberAccount } from '../members.ts';
import { checkCsrf, csrfField } from '../security.ts';
import { redirectTarget } from '../signin.ts';
import { clientAddress } from '../client-address.ts';

export const DELETE_PATH = '/account/delete';
export const FORGOT_PATH = '/forgot';

/** One answer for an unknown handle and a wrong password: it tells nothing about which accounts exist. */
const SIGNIN_FAILED: Notice = { kind: 'error', text: 'The e-mail address or the password is not correct.' };
const LOCKED_OUT: Notice = { kind: 'error', text: 'Too many failed sign-ins. Please wait a few minutes and try again.' };

export function memberRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get(SIGNIN_PATH, async (request, reply) => {
    const next = nextPath(deps, formFields(request));
    if (await memberOf(deps, request)) return reply.redirect(next, 303);
    return showSignin(reply, 200, '', next);
  });
  app.post(SIGNIN_PATH, { preHandler: checkCsrf(app) }, async (request, reply) => signIn(deps, request, reply));
  app.get(DELETE_PATH, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && showDelete(reply, member, 200);
  });
  app.post(DELETE_PATH, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && deleteAccount(deps, request, reply, member);
  });
}

/** Where to go after signing in: a path of this server only (no open redirect). */
function nextPath(deps: WebDeps, fields: Fields): string {
  return redirectTarget({ rru: fields.next || '/' }, deps.settings.baseUrl, undefined);
}

function showSignin(reply: FastifyReply, status: number, handle: string, next: string, notice?: Notice): FastifyReply {
  const body = html`<p>Sign in with your e-mail address and the password you use in MSN Messenger.</p>
<form method="post" action="${SIGNIN_PATH}">
${csrfField(reply)}
<input type="hidden" name="next" value="${next}">
<table class="form">
${row('E-mail address', input('handle', handle))}
${row('Password', input('password', '', 'password'))}
</table>
<p><input type="submit" id="signin-button" value="Sign in"></p>
</form>
<p><a href="${FORGOT_PATH}" id="forgot">Forgot your password?</a> &nbsp; No account yet? <a href="/signup">Sign up</a></p>`;
  return sendPage(reply, status, 'Sign in', body, notice ? { notice } : {});
}

async function signIn(deps: WebDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const fields = formFields(request);
  const typed = (fields.handle ?? '').trim();
  const next = nextPath(deps, fields);
  // A handle holds no space (MSNP5.md 3.1): whatever is not one is counted under one key.
  const handle = isValidHandle(typed) ? normalizeHandle(typed) : '(not a handle)';
  const check = await checkPassword(deps, clientAddress(request), handle, fields.password ?? '');
  if (!check.ok) {
    deps.log.info({ web: 'signin', remote: clientAddress(request), lockedOut: check.lockedOut }, 'web sign-in refused');
    return check.lockedOut ? showSignin(reply, 429, typed, next, LOCKED_OUT) : showSignin(reply, 401, typed, next, SIGNIN_FAILED);
  }
  await signInBrowser(deps, reply, check.account);
  deps.log.info({ web: 'signin', handle: check.account.handle }, 'web sign-in');
  return reply.redirect(next, 303);
}

function showDelete(reply: FastifyReply, member: Member, status: number, notice?: Notice): FastifyReply {
  const body = html`<p>Deleting your account signs you out of MSN Messenger, removes you from everyone's
contact list and frees your e-mail address. It cannot be undone.</p>
<form method="post" action="${DELETE_PATH}">
<input type="hidden" name="form_token" value="${member.formToken}">
<table class="form">
${row('Your password', input('password', '', 'password'))}
</table>
<p><input type="submit" id="delete" value="Delete my account"></p>
</form>`;
  return sendPage(reply, status, 'Delete your account', body, { signedIn: member.account.handle, notice });
}

async function deleteAccount(deps: WebDeps, request: FastifyRequest, reply: FastifyReply, member: Member): Promise<FastifyReply> {
  const fields = formFields(request);
  if (!formTokenMatches(member, fields)) return showDelete(reply, member, 403, EXPIRED_FORM);
  const { handle } = member.account;
  const check = await checkPassword(deps, clientAddress(request), handle, fields.password ?? '');
  if (!check.ok) {
    return check.lockedOut
      ? showDelete(reply, member, 429, LOCKED_OUT)
      : showDelete(reply, member, 401, { kind: 'error', text: 'The password is not correct.' });
  }
  await deleteMemberAccount(deps, handle);
  signOutBrowser(reply);
  deps.log.info({ web: 'delete', handle }, 'account deleted by its member');
  const body = html`<p id="deleted">The account <b>${handle}</b> is deleted. Goodbye!</p><p><a href="/">Home</a></p>`;
  return sendPage(reply, 200, 'Account deleted', body);
}
