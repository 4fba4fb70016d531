// MOBILE and CHGMOB (MSNP5.md 9.16): the phone numbers and mobile flags that PRP sets (9.14), so a
// change here reaches watchers as BPR exactly as a PRP does (core/phones.ts).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { changePhone, setMobileEnabled } from '../../core/phones.ts';
import type { Account, PhoneProperty } from '../../core/types.ts';
import { SERVICE_PAGES } from '../../core/web-pages.ts';
import { canonicalEncode, PHONE_MAX_BYTES, percentDecode } from '../../protocol/names.ts';
import { formTokenMatches, requireMember, type Member } from '../browser.ts';
import type { WebDeps } from '../deps.ts';
import { EXPIRED_FORM, formFields, sendPage, type Fields, type Notice } from '../forms.ts';
import { checkbox, html, input, row } from '../html.ts';

const PHONE_FIELDS: readonly PhoneProperty[] = ['PHH', 'PHW', 'PHM'];
const PHONE_LABELS: Record<PhoneProperty, string> = { PHH: 'Home phone', PHW: 'Work phone', PHM: 'Mobile phone' };

export function mobileRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get(SERVICE_PAGES.MOBILE, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && showSetup(reply, member, member.account, 200);
  });
  app.post(SERVICE_PAGES.MOBILE, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && setUpMobile(deps, reply, member, formFields(request));
  });
  app.get(SERVICE_PAGES.CHGMOB, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && showSettings(reply, member, member.account, 200);
  });
  app.post(SERVICE_PAGES.CHGMOB, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && changeSettings(deps, reply, member, formFields(request));
  });
}

/** Decoded text of a stored (encoded) phone value. */
function shown(encoded: string): string {
  return percentDecode(encoded).toString('utf8');
}

/** The encoded value of a phone number typed on the page, or a problem. '' clears the number. */
function encodePhone(label: string, text: string): { value: string } | { problem: string } {
  const trimmed = text.trim();
  if (!/^[0-9+()\-. ]*$/.test(trimmed)) return { problem: `${label}: use digits, spaces and + ( ) - . only.` };
  const value = canonicalEncode(trimmed);
  if (value.length > PHONE_MAX_BYTES) return { problem: `${label} is too long.` };
  return { value };
}

// ---- MOBILE: set up MSN Mobile ----------------------------------------------------------------

function showSetup(reply: FastifyReply, member: Member, account: Account, status: number, notice?: Notice): FastifyReply {
  const enabled = account.phones.MBE === 'Y';
  const body = html`<p>With MSN Mobile your contacts can send messages to your mobile phone from MSN
Messenger. MSN Mobile is <b id="mbe">${enabled ? 'on' : 'off'}</b> for your account.</p>
<form method="post" action="${SERVICE_PAGES.MOBILE}">
<input type="hidden" name="form_token" value="${member.formToken}">
<table class="form">
${row('Mobile phone number', input('PHM', shown(account.phones.PHM)))}
${row('Let my contacts page me', checkbox('MOB', account.phones.MOB === 'Y' || !enabled))}
</table>
<p><input type="submit" id="save" value="Set up MSN Mobile"></p>
</form>
<p class="small">To change your other phone numbers, see <a href="${SERVICE_PAGES.CHGMOB}">mobile settings</a>.</p>`;
  return sendPage(reply, status, 'Set up MSN Mobile', body, { signedIn: account.handle, notice });
}

async function setUpMobile(deps: WebDeps, reply: FastifyReply, member: Member, fields: Fields): Promise<FastifyReply> {
  let account = member.account;
  if (!formTokenMatches(member, fields)) return showSetup(reply, member, account, 403, EXPIRED_FORM);
  const phone = encodePhone(PHONE_LABELS.PHM, fields.PHM ?? '');
  const fail = (text: string): FastifyReply => showSetup(reply, member, account, 400, { kind: 'error', text });
  if ('problem' in phone) return fail(phone.problem);
  if (phone.value === '') return fail('Enter the number of your mobile phone.');
  account = await changeIfDifferent(deps, account, 'PHM', phone.value);
  // MBE is server-controlled (MSNP5.md 8.1): this page is where it is turned on.
  if (account.phones.MBE !== 'Y') account = await setMobileEnabled(deps.store, deps.bus, account.id, true);
  account = await changeIfDifferent(deps, account, 'MOB', fields.MOB === 'Y' ? 'Y' : 'N');
  deps.log.info({ web: 'mobile', handle: account.handle }, 'MSN Mobile set up');
  return showSetup(reply, member, account, 200, { kind: 'ok', text: 'MSN Mobile is set up.' });
}

// ---- CHGMOB: phone numbers and mobile settings ---------------------------------------------------

function showSettings(reply: FastifyReply, member: Member, account: Account, status: number, notice?: Notice): FastifyReply {
  const enabled = account.phones.MBE === 'Y';
  const rows = PHONE_FIELDS.map((p) => row(PHONE_LABELS[p], input(p, shown(account.phones[p]))));
  const mobileRows = enabled
    ? html`${row('Let my contacts page me', checkbox('MOB', account.phones.MOB === 'Y'))}
${row('Turn MSN Mobile off', checkbox('MBE_OFF', false))}`
    : html`<tr><td colspan="2">MSN Mobile is off. <a href="${SERVICE_PAGES.MOBILE}">Set up MSN Mobile</a></td></tr>`;
  const body = html`<p>Your contacts see these numbers in MSN Messenger unless you have blocked them.
MSN Mobile is <b id="mbe">${enabled ? 'on' : 'off'}</b>.</p>
<form method="post" action="${SERVICE_PAGES.CHGMOB}">
<input type="hidden" name="form_token" value="${member.formToken}">
<table class="form">
${rows}
${mobileRows}
</table>
<p><input type="submit" id="save" value="Save"></p>
</form>`;
  return sendPage(reply, status, 'Phone numbers and mobile settings', body, { signedIn: account.handle, notice });
}

async function changeSettings(deps: WebDeps, reply: FastifyReply, member: Member, fields: Fields): Promise<FastifyReply> {
  let account = member.account;
  if (!formTokenMatches(member, fields)) return showSettings(reply, member, account, 403, EXPIRED_FORM);
  const values: Partial<Record<PhoneProperty, string>> = {};
  for (const property of PHONE_FIELDS) {
    const phone = encodePhone(PHONE_LABELS[property], fields[property] ?? '');
    if ('problem' in phone) return showSettings(reply, member, account, 400, { kind: 'error', text: phone.problem });
    values[property] = phone.value;
  }
  for (const property of PHONE_FIELDS) account = await changeIfDifferent(deps, account, property, values[property]!);
  account = await applyMobileFlags(deps, account, fields);
  return showSettings(reply, member, account, 200, { kind: 'ok', text: 'Your settings are saved.' });
}

/** MSN Mobile goes off when asked or when the mobile number is gone; otherwise MOB follows the box. */
async function applyMobileFlags(deps: WebDeps, account: Account, fields: Fields): Promise<Account> {
  if (account.phones.MBE !== 'Y') return account;
  if (fields.MBE_OFF === 'Y' || account.phones.PHM === '') return setMobileEnabled(deps.store, deps.bus, account.id, false);
  return changeIfDifferent(deps, account, 'MOB', fields.MOB === 'Y' ? 'Y' : 'N');
}

/** A PRP-equivalent change (BPR to watchers), made only when the value differs from the stored one. */
async function changeIfDifferent(deps: WebDeps, account: Account, property: PhoneProperty | 'MOB', value: string): Promise<Account> {
  if (account.phones[property] === value) return account;
  return (await changePhone(deps.store, deps.bus, account.id, property, value)).account;
}
