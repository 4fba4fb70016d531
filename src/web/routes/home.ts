import type { FastifyInstance, FastifyReply } from 'fastify';
import { DOWNLOAD_PATH, SERVICE_PAGES } from '../../core/web-pages.ts';
import type { Account } from '../../core/types.ts';
import { percentDecode } from '../../protocol/names.ts';
import { formTokenMatches, memberOf, SIGNIN_PATH, SIGNOUT_PATH, signOutBrowser } from '../browser.ts';
import type { WebDeps } from '../deps.ts';
import { EXPIRED_FORM, formFields, sendPage } from '../forms.ts';
import { html } from '../html.ts';
import { DELETE_PATH, FORGOT_PATH } from './members.ts';

/** The home page (what a signed-in member can do here) and sign-out. */
export function homeRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get('/', async (request, reply) => {
    const member = await memberOf(deps, request);
    if (!member) return sendPage(reply, 200, 'Welcome', welcome());
    const mail = deps.settings.webmail ? html`<li><a href="${SERVICE_PAGES.INBOX}">Inbox</a></li>` : '';
    const body = html`<p id="greeting">Welcome, ${friendlyName(member.account)}!</p>
<ul>
<li><a href="${SERVICE_PAGES.PASSWORD}">Change your password</a></li>
<li><a href="${SERVICE_PAGES.PERSON}">Your account details</a></li>
<li><a href="${SERVICE_PAGES.PROFILE}">Your member directory listing</a></li>
<li><a href="${SERVICE_PAGES.MOBILE}">Set up MSN Mobile</a></li>
<li><a href="${SERVICE_PAGES.CHGMOB}">Phone numbers and mobile settings</a></li>
${mail}
<li><a href="/member/${member.account.id}">Your public profile</a></li>
<li><a href="${DELETE_PATH}">Delete your account</a></li>
</ul>`;
    return sendPage(reply, 200, 'Your account', body, { signedIn: member.account.handle });
  });

  // A GET only asks: a link or an image on another site must not sign the browser out. The POST
  // carries the session's form token (browser.ts), as every signed-in form does.
  app.get(SIGNOUT_PATH, async (request, reply) => {
    const member = await memberOf(deps, request);
    if (!member) return signedOut(reply);
    const body = html`<p>Sign out of these pages? MSN Messenger stays signed in.</p>
<form method="post" action="${SIGNOUT_PATH}">
<input type="hidden" name="form_token" value="${member.formToken}">
<p><input type="submit" id="signout" value="Sign out"></p>
</form>`;
    return sendPage(reply, 200, 'Sign out', body, { signedIn: member.account.handle });
  });
  app.post(SIGNOUT_PATH, async (request, reply) => {
    const member = await memberOf(deps, request);
    if (!member) return signedOut(reply);
    if (!formTokenMatches(member, formFields(request))) {
      return sendPage(reply, 403, 'Sign out', html`<p><a href="${SIGNOUT_PATH}">Sign out</a></p>`, {
        signedIn: member.account.handle,
        notice: EXPIRED_FORM,
      });
    }
    signOutBrowser(reply);
    return signedOut(reply);
  });
}

function signedOut(reply: FastifyReply): FastifyReply {
  return sendPage(reply, 200, 'Signed out', html`<p id="signed-out">You are signed out of these pages. <a href="/">Home</a></p>`);
}

function welcome() {
  return html`<p>This is the web side of an MSN Messenger service. MSN Messenger signs you in to
these pages by itself when you open them from its menus.</p>
<p>Have an account? <a href="${SIGNIN_PATH}" id="signin">Sign in</a> with your e-mail address and
Messenger password (<a href="${FORGOT_PATH}">forgot it?</a>).</p>
<p>No account yet? <a href="/signup">Sign up</a> with your e-mail address.</p>
<p>New to Messenger? <a href="${DOWNLOAD_PATH}">Get MSN Messenger</a> and point it at this server.</p>`;
}

/** The member's friendly name as people read it (names are kept %-encoded, MSNP5.md 3.4). */
function friendlyName(account: Account): string {
  return percentDecode(account.friendlyName).toString('utf8');
}
