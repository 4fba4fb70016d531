// The console's sign-in form: an account with the admin role and its messenger password. The
// failed-login lockout is the MSNP login's (core/accounts.ts), on the same counters, so a guesser
// gains nothing by switching doors; every refusal reads the same.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { failedLogins } from '../../core/accounts.ts';
import { ConsoleActions, consoleAccount } from '../../core/admin-console.ts';
import { isValidHandle, normalizeHandle } from '../../protocol/names.ts';
import type { WebDeps } from '../deps.ts';
import { formFields, type Notice } from '../forms.ts';
import { html, input, row } from '../html.ts';
import { sendConsolePage } from './layout.ts';
import { adminOf, signInAdmin, signOutAdmin } from './session.ts';
import { clientAddress } from '../client-address.ts';

const REFUSED: Notice = { kind: 'error', text: 'Sign-in refused: wrong handle or password, or the account is not an administrator.' };
const LOCKED: Notice = { kind: 'error', text: 'Too many failed sign-ins. Please wait a while and try again.' };

export function consoleSigninRoutes(scope: FastifyInstance, deps: WebDeps): void {
  scope.get('/signin', async (request, reply) => {
    if (await adminOf(deps, request)) return reply.redirect('/admin/', 303);
    return signinForm(reply, 200, '');
  });
  scope.post('/signin', { preHandler: scope.csrfProtection }, (request, reply) => signIn(deps, request, reply));
  scope.post('/signout', { preHandler: scope.csrfProtection }, async (_request, reply) => {
    signOutAdmin(reply);
    return reply.redirect('/admin/signin', 303);
  });
}

function signinForm(reply: FastifyReply, status: number, handle: string, notice?: Notice): FastifyReply {
  const body = html`<form method="POST" action="/admin/signin">
<input type="hidden" name="_csrf" value="${reply.generateCsrf()}">
<table class="form">
${row('Handle', input('handle', handle))}
${row('Messenger password', input('password', '', 'password'))}
</table>
<p><button type="submit" id="signin">Sign in</button></p>
</form>
<p class="small">Only accounts with the admin role may sign in (<code>msnd user grant-admin HANDLE</code>).</p>`;
  return sendConsolePage(reply, status, 'Admin sign-in', body, undefined, notice);
}

async function signIn(deps: WebDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const fields = formFields(request);
  const given = (fields.handle ?? '').trim();
  const password = fields.password ?? '';
  if (!isValidHandle(given) || password === '') return signinForm(reply, 401, given, REFUSED);
  const handle = normalizeHandle(given);
  const remote = clientAddress(request);
  const failures = failedLogins(deps.bus.rates, remote, handle, deps.settings.failedLogins);
  if (await failures.lockedOut()) {
    deps.log.warn({ web: 'admin', handle, remote }, 'admin sign-in locked out');
    return signinForm(reply, 429, handle, LOCKED);
  }
  const account = await consoleAccount(deps.store, handle, password);
  if (!account) {
    await failures.failed();
    deps.log.info({ web: 'admin', handle, remote }, 'admin sign-in refused');
    return signinForm(reply, 401, handle, REFUSED);
  }
  signInAdmin(deps, reply, account);
  await new ConsoleActions(deps.store, `web:${account.handle}`, deps.now).signedIn(remote);
  deps.log.info({ web: 'admin', handle, remote }, 'admin signed in');
  return reply.redirect('/admin/', 303);
}
