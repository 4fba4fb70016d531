// A forgotten password: /forgot e-mails a link (through the outbox) that is signed, expires, works
// once and only while the password is unchanged; /reset sets a new password with it and ends the
// member's live sessions. No answer tells whether an address has an account.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rateLimit } from '../../core/rate.ts';
import type { Account } from '../../core/types.ts';
import { webUrl } from '../../core/web-pages.ts';
import { isValidHandle, normalizeHandle } from '../../protocol/names.ts';
import { SIGNIN_PATH } from '../browser.ts';
import type { WebDeps } from '../deps.ts';
import { formFields, passwordProblem, sendPage, type Notice } from '../forms.ts';
import { html, input, row } from '../html.ts';
import { hmac, readLink, sameText, signLink } from '../keys.ts';
import { endLiveSessions } from '../members.ts';
import { checkCsrf, csrfField } from '../security.ts';
import { FORGOT_PATH } from './members.ts';
import { clientAddress } from '../client-address.ts';

export const RESET_PATH = '/reset';
const RESET_PURPOSE = 'password-reset';

export function resetRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get(FORGOT_PATH, async (_request, reply) => showForgot(reply, 200, ''));
  app.post(FORGOT_PATH, { preHandler: checkCsrf(app) }, async (request, reply) => forgot(deps, request, reply));
  app.get(RESET_PATH, async (request, reply) => {
    const token = formFields(request).token ?? '';
    const link = await openLink(deps, token);
    return link ? showReset(reply, 200, token) : linkNotValid(reply);
  });
  app.post(RESET_PATH, { preHandler: checkCsrf(app) }, async (request, reply) => reset(deps, request, reply));
}

function showForgot(reply: FastifyReply, status: number, handle: string, notice?: Notice): FastifyReply {
  const body = html`<p>Enter the e-mail address you sign in with. If it has an account, we send it a link
to choose a new password.</p>
<form method="post" action="${FORGOT_PATH}">
${csrfField(reply)}
<table class="form">
${row('E-mail address', input('handle', handle))}
</table>
<p><input type="submit" id="send" value="Send the link"></p>
</form>`;
  return sendPage(reply, status, 'Forgot your password?', body, notice ? { notice } : {});
}

async function forgot(deps: WebDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const typed = (formFields(request).handle ?? '').trim();
  if (!isValidHandle(typed)) {
    return showForgot(reply, 400, typed, { kind: 'error', text: 'Enter a valid e-mail address, like you@example.com.' });
  }
  const handle = normalizeHandle(typed);
  // Counted alike for addresses with and without an account, so that the limit reveals nothing either.
  const { resetMails, resetLinkMs } = deps.settings;
  const limits = [
    rateLimit(deps.bus.rates, `reset-mail:${clientAddress(request)}`, resetMails, resetLinkMs),
    rateLimit(deps.bus.rates, `reset-mail-account:${handle}`, resetMails, resetLinkMs),
  ];
  if ((await Promise.all(limits.map((l) => l.usedUp()))).some(Boolean)) {
    return showForgot(reply, 429, typed, { kind: 'error', text: 'Too many requests. Please try again later.' });
  }
  await Promise.all(limits.map((l) => l.use()));
  // The answer does not wait for the mail: how long it takes must not tell either.
  void sendResetLink(deps, handle).catch((err: unknown) => deps.log.error({ err, web: 'forgot' }, 'password-reset mail failed'));
  const body = html`<p id="sent">If <b>${handle}</b> has an account, we have sent it a message with a link to
choose a new password. The link works for ${Math.round(resetLinkMs / 60_000)} minutes.</p>`;
  return sendPage(reply, 200, 'Check your e-mail', body);
}

async function sendResetLink(deps: WebDeps, handle: string): Promise<void> {
  const credentials = await deps.store.credentialsOf(handle);
  if (!credentials) return;
  const { account, secret } = credentials;
  const { resetLinkMs } = deps.settings;
  // The bus token makes the link one-use; the stamp kills it (and every other) once the password changes.
  const nonce = await deps.bus.tokens.issue(RESET_PURPOSE, { account: String(account.id) }, resetLinkMs);
  const expiresAt = Math.floor((deps.now() + resetLinkMs) / 1000);
  const fields = [String(account.id), account.handle, nonce, passwordStamp(deps, account.id, secret)];
  const link = `${webUrl(deps.settings.baseUrl, RESET_PATH)}?token=${signLink(deps.keys.link, RESET_PURPOSE, fields, expiresAt)}`;
  await deps.sendMail({
    to: account.handle,
    subject: 'Reset your MSN Messenger password',
    text: `Someone, hopefully you, asked to reset the password of the MSN Messenger account ${account.handle}.\n\nTo choose a new password, open this link within ${Math.round(resetLinkMs / 60_000)} minutes:\n\n${link}\n\nThe link works once. If you did not ask for it, ignore this message: your password stays as it is.\n`,
  });
  deps.log.info({ web: 'forgot', handle }, 'password-reset link sent');
}

function passwordStamp(deps: WebDeps, accountId: number, secret: string): string {
  return hmac(deps.keys.link, `${RESET_PURPOSE}\n${accountId}\n${secret}`).slice(0, 22);
}

/** The account and bus token of a genuine, unexpired link made with the account's current password. */
async function openLink(deps: WebDeps, token: string): Promise<{ account: Account; nonce: string } | undefined> {
  const fields = readLink(deps.keys.link, RESET_PURPOSE, token, Math.floor(deps.now() / 1000));
  const [id, handle, nonce, stamp] = fields ?? [];
  if (!id || !handle || !nonce || !stamp) return undefined;
  const credentials = await deps.store.credentialsOf(handle);
  if (!credentials || String(credentials.account.id) !== id) return undefined;
  if (!sameText(stamp, passwordStamp(deps, credentials.account.id, credentials.secret))) return undefined;
  return { account: credentials.account, nonce };
}

function linkNotValid(reply: FastifyReply): FastifyReply {
  const body = html`<p id="invalid">This link is not valid: it has expired, has been used already, or your
password has changed since. <a href="${FORGOT_PATH}">Ask for a new link</a>.</p>`;
  return sendPage(reply, 400, 'Link not valid', body);
}

function showReset(reply: FastifyReply, status: number, token: string, notice?: Notice): FastifyReply {
  const body = html`<form method="post" action="${RESET_PATH}">
${csrfField(reply)}
<input type="hidden" name="token" value="${token}">
<table class="form">
${row('New password', input('new', '', 'password'))}
${row('Type the new password again', input('confirm', '', 'password'))}
</table>
<p><input type="submit" id="save" value="Change password"></p>
</form>`;
  return sendPage(reply, status, 'Choose a new password', body, notice ? { notice } : {});
}

async function reset(deps: WebDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const fields = formFields(request);
  const token = fields.token ?? '';
  const link = await openLink(deps, token);
  if (!link) return linkNotValid(reply);
  const problem = passwordProblem(fields.new ?? '', fields.confirm ?? '');
  if (problem) return showReset(reply, 400, token, { kind: 'error', text: problem });
  const spent = await deps.bus.tokens.consume(RESET_PURPOSE, link.nonce);
  if (spent?.account !== String(link.account.id)) return linkNotValid(reply);
  const { handle } = link.account;
  await deps.store.setSecret(handle, fields.new!);
  // The new password signs every browser out (browser.ts); the Messenger session ends here.
  await endLiveSessions(deps, handle);
  deps.log.info({ web: 'reset', handle }, 'password reset by e-mailed link');
  const body = html`<p id="changed">Your password has been changed, and every session signed in with the old
one has ended. <a href="${SIGNIN_PATH}">Sign in</a> with the new password.</p>`;
  return sendPage(reply, 200, 'Password changed', body);
}
