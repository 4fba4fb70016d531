// Finding an account and acting on it: every action is core/admin.ts's (as `msnd user …`), audited
// as `web:<admin handle>`. Deleting asks for the handle again: an operator's slip is harmless.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AdminError, type AccountView, type EndOutcome } from '../../core/admin.ts';
import type { Account } from '../../core/types.ts';
import type { WebDeps } from '../deps.ts';
import { formFields, type Fields, type Notice } from '../forms.ts';
import { type Html, html, input } from '../html.ts';
import { requireAdmin, type SignedInAdmin } from './guard.ts';
import { csrfField, duration, readableName, sendConsolePage, when } from './layout.ts';

/** Accounts listed for one search. */
const SHOWN = 100;

export function accountRoutes(scope: FastifyInstance, deps: WebDeps): void {
  scope.get('/accounts', async (request, reply) => {
    const signedIn = await requireAdmin(deps, request, reply);
    if (!signedIn) return reply;
    const query = (formFields(request).q ?? '').trim();
    const found = matching(await deps.store.listAccounts(), query);
    const body = html`<form method="GET" action="/admin/accounts">
<p>Handle or name contains: ${input('q', query)} <button type="submit" id="find">Find</button></p>
</form>
<p id="found">${found.length > SHOWN ? `${SHOWN} of ${found.length}` : found.length} account(s)${query ? html` matching <b>${query}</b>` : ''}</p>
<table class="list" id="accounts">
<tr><th>Handle</th><th>Name</th><th>State</th></tr>
${found
  .slice(0, SHOWN)
  .map(
    (a) =>
      html`<tr><td><a href="/admin/account?handle=${encodeURIComponent(a.handle)}">${a.handle}</a></td><td>${readableName(a.friendlyName)}</td><td>${states(a)}</td></tr>`,
  )}
</table>`;
    return sendConsolePage(reply, 200, 'Accounts', body, signedIn.view);
  });
  scope.get('/account', async (request, reply) => {
    const signedIn = await requireAdmin(deps, request, reply);
    if (!signedIn) return reply;
    return showAccount(deps, reply, signedIn, formFields(request).handle ?? '');
  });
  scope.post('/account', { preHandler: scope.csrfProtection }, async (request, reply) => {
    const signedIn = await requireAdmin(deps, request, reply);
    if (!signedIn) return reply;
    const fields = formFields(request);
    const handle = fields.handle ?? '';
    try {
      const done = await act(signedIn, handle, fields);
      deps.log.info({ web: 'admin', actor: signedIn.account.handle, action: fields.action, target: handle }, 'admin action');
      if (fields.action === 'delete') return sendConsolePage(reply, 200, 'Account deleted', accountsLink(), signedIn.view, done);
      return showAccount(deps, reply, signedIn, handle, done);
    } catch (error) {
      if (!(error instanceof AdminError)) throw error;
      return showAccount(deps, reply, signedIn, handle, { kind: 'error', text: error.message }, 400);
    }
  });
}

function matching(accounts: Account[], query: string): Account[] {
  const wanted = query.toLowerCase();
  return accounts.filter((a) => a.handle.includes(wanted) || readableName(a.friendlyName).toLowerCase().includes(wanted));
}

function states(a: Account): string {
  return [a.disabled && 'disabled', a.admin && 'admin', !a.verified && 'unverified'].filter(Boolean).join(', ') || 'active';
}

function accountsLink(): Html {
  return html`<p><a href="/admin/accounts">Find another account</a></p>`;
}

/** Carries out the form's action; the notice says what happened. Throws AdminError for a refused one. */
async function act(signedIn: SignedInAdmin, handle: string, fields: Fields): Promise<Notice> {
  const { admin } = signedIn;
  const ok = (text: string): Notice => ({ kind: 'ok', text });
  switch (fields.action) {
    case 'verify':
      await admin.verify(handle);
      return ok(`${handle} is verified.`);
    case 'disable':
      return ended(`${handle} is disabled`, await admin.disable(handle, (fields.reason ?? '').trim()));
    case 'enable':
      await admin.enable(handle);
      return ok(`${handle} is enabled.`);
    case 'kick':
      return ended(`${handle} was kicked`, await admin.kick(handle));
    case 'rename':
      await admin.rename(handle, fields.name ?? '');
      return ok(`${handle} is renamed.`);
    case 'grant-admin':
      await admin.grantAdmin(handle);
      return ok(`${handle} is an administrator.`);
    case 'revoke-admin':
      await admin.revokeAdmin(handle);
      return ok(`${handle} is no longer an administrator.`);
    case 'delete':
      if ((fields.confirm ?? '').trim().toLowerCase() !== handle.trim().toLowerCase()) {
        throw new AdminError('not deleted: type the handle again to confirm');
      }
      return ended(`${handle} is deleted`, await admin.deleteAccount(handle));
    default:
      throw new AdminError('unknown action');
  }
}

/** What an action that ends sessions did, as `msnd user` reports it. */
function ended(done: string, outcome: EndOutcome): Notice {
  const where = outcome.session && `its session on node ${outcome.session.node}`;
  if (!where) return { kind: 'ok', text: `${done} (not signed in).` };
  if (outcome.ended) return { kind: 'ok', text: `${done}; ${where} ended.` };
  return {
    kind: 'error',
    text: `${done}, but ${where} did not end within 10 s: is that node running? (It is refused at its next sign-in.)`,
  };
}

async function showAccount(
  deps: WebDeps,
  reply: FastifyReply,
  signedIn: SignedInAdmin,
  handle: string,
  notice?: Notice,
  status = 200,
): Promise<FastifyReply> {
  let view: AccountView;
  try {
    view = await signedIn.admin.showAccount(handle);
  } catch (error) {
    if (!(error instanceof AdminError)) throw error;
    const shown = notice ?? { kind: 'error' as const, text: error.message };
    return sendConsolePage(reply, notice ? status : 404, 'Account', accountsLink(), signedIn.view, shown);
  }
  const body = html`${details(view, deps.now())}
<h2>Actions</h2>
${actions(view, signedIn)}
${accountsLink()}`;
  return sendConsolePage(reply, status, view.account.handle, body, signedIn.view, notice);
}

function details(view: AccountView, now: number): Html {
  const { account, listSizes, directory } = view;
  const live = view.signedInNow;
  const phones = account.phones;
  const rows: [string, string, string][] = [
    ['friendly-name', 'Name', readableName(account.friendlyName)],
    ['verified', 'Verified', account.verified ? 'yes' : 'no'],
    ['disabled', 'Disabled', account.disabled ? `yes${view.disabledReason ? ` (${view.disabledReason})` : ''}` : 'no'],
    ['admin', 'Administrator', account.admin ? 'yes' : 'no'],
    ['created', 'Created', when(account.createdAt * 1000)],
    ['last-sign-in', 'Last sign-in', view.lastSignIn ? `${when(view.lastSignIn.at)} from ${view.lastSignIn.address}` : 'never'],
    [
      'signed-in',
      'Signed in now',
      live
        ? `yes, on node ${live.node} (NS ${live.nodeReport.ns}), ${live.dialect}, from ${live.address}, for ${duration(now - live.since)}`
        : 'no',
    ],
    ['lists', 'Lists', `FL ${listSizes.FL}, AL ${listSizes.AL}, BL ${listSizes.BL}, RL ${listSizes.RL}`],
    [
      'phones',
      'Phones',
      `home ${readableName(phones.PHH) || '-'}, work ${readableName(phones.PHW) || '-'}, mobile ${readableName(phones.PHM) || '-'}; pages allowed (MOB) ${phones.MOB}, MSN Mobile (MBE) ${phones.MBE}`,
    ],
    [
      'directory',
      'Directory',
      directory
        ? `${directory.listed ? 'listed' : 'not listed'}: ${directory.firstName} ${directory.lastName}, ${[directory.city, directory.state, directory.country].filter(Boolean).join(', ') || '-'}`
        : 'none',
    ],
  ];
  return html`<table class="list" id="details">
${rows.map(([id, label, value]) => html`<tr><th>${label}</th><td id="${id}">${value}</td></tr>`)}
</table>`;
}

/** One form per action, each with the CSRF token and the handle. */
function actions(view: AccountView, signedIn: SignedInAdmin): Html {
  const { account } = view;
  const form = (action: string, label: string, extra: Html | string = '') =>
    html`<form class="action" method="POST" action="/admin/account">${csrfField(signedIn.view)}<input type="hidden" name="handle" value="${account.handle}"><input type="hidden" name="action" value="${action}">${extra} <button type="submit" id="${action}">${label}</button></form>`;
  return html`${account.verified ? '' : form('verify', 'Mark verified')}
${account.disabled ? form('enable', 'Enable') : form('disable', 'Disable', html`Reason: ${input('reason', '')}`)}
${form('kick', 'Kick (end its sessions)')}
${form('rename', 'Rename', html`New name: ${input('name', readableName(account.friendlyName))}`)}
${account.admin ? form('revoke-admin', 'Revoke admin role') : form('grant-admin', 'Grant admin role')}
${form('delete', 'Delete account', html`Type the handle to confirm: ${input('confirm', '')}`)}`;
}
