// Sign-up with e-mail verification: a new account is unverified (924 at an MSNP5 login while the
// operator requires verification, MSNP5.md 6.4) until its owner opens the e-mailed link.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountExistsError } from '../../core/store.ts';
import type { Account } from '../../core/types.ts';
import { VERIFY_PATH, webUrl } from '../../core/web-pages.ts';
import { acceptEncoded, canonicalEncode, isValidHandle, NAME_MAX_BYTES, normalizeHandle } from '../../protocol/names.ts';
import type { WebDeps } from '../deps.ts';
import { formFields, passwordProblem, sendPage, type Fields } from '../forms.ts';
import { html, input, row } from '../html.ts';
import { readLink, signLink } from '../keys.ts';
import { FORGOT_PATH } from './members.ts';
import { clientAddress } from '../client-address.ts';

const VERIFY_PURPOSE = 'verify';

/** Sign-ups per remote address and window, so the page cannot be used to flood mailboxes. */
export class SignupLimiter {
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Counts an attempt; false when the address has used up its window. */
  take(address: string, now: number): boolean {
    if (this.times.size > 10_000) this.forgetOld(now);
    const recent = (this.times.get(address) ?? []).filter((t) => now - t < this.windowMs);
    const allowed = recent.length < this.max;
    if (allowed) recent.push(now);
    this.times.set(address, recent);
    return allowed;
  }

  private forgetOld(now: number): void {
    for (const [address, times] of this.times) {
      if (times.every((t) => now - t >= this.windowMs)) this.times.delete(address);
    }
  }
}

export function signupRoutes(app: FastifyInstance, deps: WebDeps): void {
  const limiter = new SignupLimiter(deps.settings.signupsPerAddress, deps.settings.signupWindowMs);
  app.get('/signup', async (_request, reply) => showSignup(reply, 200, {}));
  app.post('/signup', async (request, reply) => signUp(deps, limiter, request, reply));
  app.get(VERIFY_PATH, async (request, reply) => verify(deps, reply, formFields(request).token ?? ''));
}

function showSignup(reply: FastifyReply, status: number, entered: Fields, problem?: string): FastifyReply {
  const body = html`<p>Your e-mail address is your sign-in name. We send you a message to make sure it
is yours.</p>
<form method="post" action="/signup">
<table class="form">
${row('E-mail address', input('handle', entered.handle ?? ''))}
${row('Password', input('password', '', 'password'))}
${row('Type the password again', input('confirm', '', 'password'))}
${row('Your name in Messenger', input('name', entered.name ?? ''))}
</table>
<p><input type="submit" id="signup" value="Sign up"></p>
</form>`;
  return sendPage(reply, status, 'Sign up', body, problem ? { notice: { kind: 'error', text: problem } } : {});
}

async function signUp(deps: WebDeps, limiter: SignupLimiter, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const fields = formFields(request);
  const checked = checkSignup(deps, fields);
  if ('problem' in checked) return showSignup(reply, 400, fields, checked.problem);
  if (!limiter.take(clientAddress(request), deps.now()))
    return showSignup(reply, 429, fields, 'Too many sign-ups from your address. Please try later.');
  try {
    const account = await deps.store.createAccount({ ...checked, verified: false });
    await sendVerification(deps, account);
    deps.log.info({ web: 'signup', handle: account.handle }, 'account signed up');
  } catch (error) {
    if (!(error instanceof AccountExistsError)) throw error;
    // The same answer as for a new address, so the page does not tell which addresses have accounts.
    await remindExisting(deps, checked.handle);
  }
  const body = html`<p id="sent">We have sent a message to <b>${checked.handle}</b>. Open the link in it to
verify your address, then sign in with MSN Messenger.</p>`;
  return sendPage(reply, 200, 'Check your e-mail', body);
}

function checkSignup(deps: WebDeps, fields: Fields): { handle: string; secret: string; friendlyName: string } | { problem: string } {
  const raw = (fields.handle ?? '').trim();
  if (!isValidHandle(raw)) return { problem: 'Enter a valid e-mail address, like you@example.com.' };
  const handle = normalizeHandle(raw);
  const password = fields.password ?? '';
  const problem = passwordProblem(password, fields.confirm ?? '');
  if (problem) return { problem };
  const nameText = (fields.name ?? '').trim() || handle;
  const name = acceptEncoded(canonicalEncode(nameText), NAME_MAX_BYTES);
  if (!name.ok) return { problem: name.reason === 'too-long' ? 'The name is too long.' : 'The name has characters that are not allowed.' };
  const lower = nameText.toLowerCase();
  if (nameText !== handle && deps.settings.reservedNames.some((word) => lower.includes(word.toLowerCase()))) {
    return { problem: 'Please choose another name.' };
  }
  return { handle, secret: password, friendlyName: name.wire };
}

async function sendVerification(deps: WebDeps, account: Account): Promise<void> {
  const expiresAt = Math.floor((deps.now() + deps.settings.verifyLinkMs) / 1000);
  const token = signLink(deps.keys.link, VERIFY_PURPOSE, [String(account.id), account.handle], expiresAt);
  const link = `${webUrl(deps.settings.baseUrl, VERIFY_PATH)}?token=${token}`;
  await deps.sendMail({
    to: account.handle,
    subject: 'Verify your e-mail address for MSN Messenger',
    text: `Welcome to MSN Messenger.\n\nTo verify that ${account.handle} is your address, open this link:\n\n${link}\n\nIf you did not sign up, ignore this message.\n`,
  });
}

/** A sign-up for an address that has an account: an unverified one gets a new link, a verified one a note. */
async function remindExisting(deps: WebDeps, handle: string): Promise<void> {
  const account = await deps.store.findAccount(handle);
  if (!account) return;
  if (!account.verified) return sendVerification(deps, account);
  await deps.sendMail({
    to: handle,
    subject: 'You already have an MSN Messenger account',
    text: `Someone tried to sign up with ${handle}, which already has an account.\nIf it was you, sign in with MSN Messenger; if you forgot the password, choose a new one here:\n\n${webUrl(deps.settings.baseUrl, FORGOT_PATH)}\n`,
  });
}

async function verify(deps: WebDeps, reply: FastifyReply, token: string): Promise<FastifyReply> {
  const fields = readLink(deps.keys.link, VERIFY_PURPOSE, token, Math.floor(deps.now() / 1000));
  const [id, handle] = fields ?? [];
  const account = id && /^\d+$/.test(id) ? await deps.store.transaction((tx) => tx.accountById(Number(id))) : undefined;
  if (!account || account.handle !== handle) {
    return sendPage(
      reply,
      400,
      'Link not valid',
      html`<p>This link is not valid or has expired. <a href="/signup">Sign up</a> again to get a new one.</p>`,
    );
  }
  if (!account.verified) await deps.store.transaction((tx) => tx.updateAccount(account.id, { verified: true }));
  deps.log.info({ web: 'verify', handle: account.handle }, 'e-mail address verified');
  const body = html`<p id="verified">Thank you: <b>${account.handle}</b> is verified. You can now sign in with MSN Messenger.</p>`;
  return sendPage(reply, 200, 'Address verified', body);
}
