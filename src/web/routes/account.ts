// PASSWORD, PERSON and PROFILE (MSNP5.md 9.16) and a member's public profile.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DirectoryEntry } from '../../core/store.ts';
import { DEFAULT_PROFILE, type Profile } from '../../core/types.ts';
import { SERVICE_PAGES } from '../../core/web-pages.ts';
import { isDirectoryValue } from '../../protocol/directory.ts';
import { isValidHandle, percentDecode } from '../../protocol/names.ts';
import { formTokenMatches, requireMember, signInBrowser, type Member } from '../browser.ts';
import type { WebDeps } from '../deps.ts';
import { EXPIRED_FORM, formFields, isPlainText, passwordProblem, sendPage, type Fields, type Notice } from '../forms.ts';
import { checkbox, html, input, row, type Html } from '../html.ts';
import { sameText } from '../keys.ts';

export function accountRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get(SERVICE_PAGES.PASSWORD, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && showPassword(reply, member, 200);
  });
  app.post(SERVICE_PAGES.PASSWORD, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && changePassword(deps, reply, member, formFields(request));
  });
  app.get(SERVICE_PAGES.PERSON, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && showPerson(reply, member, 200, member.account.profile);
  });
  app.post(SERVICE_PAGES.PERSON, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && savePerson(deps, reply, member, formFields(request));
  });
  app.get(SERVICE_PAGES.PROFILE, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    if (!member) return;
    const entry = (await deps.store.directoryEntry(member.account.id)) ?? EMPTY_ENTRY;
    return showDirectory(reply, member, 200, entry);
  });
  app.post(SERVICE_PAGES.PROFILE, async (request, reply) => {
    const member = await requireMember(deps, request, reply);
    return member && saveDirectory(deps, reply, member, formFields(request));
  });
  app.get('/member/:id', async (request, reply) => showMember(deps, reply, (request.params as { id: string }).id));
}

// ---- PASSWORD --------------------------------------------------------------------------------

function showPassword(reply: FastifyReply, member: Member, status: number, notice?: Notice): FastifyReply {
  const body = html`<p>This is the password MSN Messenger signs in with.</p>
<form method="post" action="${SERVICE_PAGES.PASSWORD}">
<input type="hidden" name="form_token" value="${member.formToken}">
<table class="form">
${row('Current password', input('old', '', 'password'))}
${row('New password', input('new', '', 'password'))}
${row('Type the new password again', input('confirm', '', 'password'))}
</table>
<p><input type="submit" id="save" value="Change password"></p>
</form>`;
  return sendPage(reply, status, 'Change your password', body, { signedIn: member.account.handle, notice });
}

async function changePassword(deps: WebDeps, reply: FastifyReply, member: Member, fields: Fields): Promise<FastifyReply> {
  if (!formTokenMatches(member, fields)) return showPassword(reply, member, 403, EXPIRED_FORM);
  const handle = member.account.handle;
  const current = (await deps.store.secretOf(handle)) ?? '';
  const fail = (text: string): FastifyReply => showPassword(reply, member, 400, { kind: 'error', text });
  if (!sameText(fields.old ?? '', current)) return fail('The current password is not correct.');
  const problem = passwordProblem(fields.new ?? '', fields.confirm ?? '');
  if (problem) return fail(problem);
  await deps.store.setSecret(handle, fields.new!);
  // The new password signs out every other browser; this one stays signed in with a new cookie.
  const renewed = { ...member, formToken: await signInBrowser(deps, reply, member.account) };
  deps.log.info({ web: 'password', handle }, 'password changed');
  return showPassword(reply, renewed, 200, { kind: 'ok', text: 'Your password has been changed. Use it the next time you sign in.' });
}

// ---- PERSON: the fields of the profile message (MSNP5.md 8.1, 12.1) -----------------------------

const GENDERS = ['', 'M', 'F', 'U'];

function showPerson(reply: FastifyReply, member: Member, status: number, profile: Profile, notice?: Notice): FastifyReply {
  const genderOptions = GENDERS.map(
    (g) => html`<option value="${g}"${g === profile.gender ? html` selected` : ''}>${genderLabel(g)}</option>`,
  );
  const body = html`<p>These details are sent to MSN Messenger when you sign in.</p>
<form method="post" action="${SERVICE_PAGES.PERSON}">
<input type="hidden" name="form_token" value="${member.formToken}">
<table class="form">
${row('Preferred e-mail address', input('preferredEmail', profile.preferredEmail))}
${row('Language (LCID, e.g. 1033)', input('langPreference', String(profile.langPreference), 'text', 6))}
${row('Country/region (two letters)', input('country', profile.country, 'text', 3))}
${row('Postal code', input('postalCode', profile.postalCode, 'text', 10))}
${row('Gender', html`<select name="gender" id="gender">${genderOptions}</select>`)}
${row('Age', input('age', profile.age, 'text', 4))}
${row('Birthday', input('birthday', profile.birthday, 'text', 12))}
</table>
<p><input type="submit" id="save" value="Save"></p>
</form>`;
  return sendPage(reply, status, 'Your account details', body, { signedIn: member.account.handle, notice });
}

function genderLabel(gender: string): string {
  return { '': '(not given)', M: 'Male', F: 'Female', U: 'Unspecified' }[gender] ?? gender;
}

async function savePerson(deps: WebDeps, reply: FastifyReply, member: Member, fields: Fields): Promise<FastifyReply> {
  if (!formTokenMatches(member, fields)) return showPerson(reply, member, 403, member.account.profile, EXPIRED_FORM);
  const parsed = parseProfile(fields);
  if ('problem' in parsed) {
    return showPerson(reply, member, 400, { ...member.account.profile, ...parsed.entered }, { kind: 'error', text: parsed.problem });
  }
  await deps.store.transaction((tx) => tx.updateAccount(member.account.id, { profile: parsed.profile }));
  const profile = { ...member.account.profile, ...parsed.profile };
  return showPerson(reply, member, 200, profile, { kind: 'ok', text: 'Saved. Messenger shows the changes the next time you sign in.' });
}

type ProfileEdit = Pick<Profile, 'preferredEmail' | 'langPreference' | 'country' | 'postalCode' | 'gender' | 'age' | 'birthday'>;

function parseProfile(fields: Fields): { profile: ProfileEdit } | { problem: string; entered: Partial<Profile> } {
  const text = (name: string): string => (fields[name] ?? '').trim();
  const entered = {
    preferredEmail: text('preferredEmail'),
    country: text('country').toUpperCase(),
    postalCode: text('postalCode'),
    gender: text('gender'),
    age: text('age'),
    birthday: text('birthday'),
  };
  const lang = text('langPreference') || String(DEFAULT_PROFILE.langPreference);
  const problem = profileProblem(entered, lang);
  if (problem) return { problem, entered };
  return { profile: { ...entered, langPreference: Number(lang) } };
}

function profileProblem(p: Omit<ProfileEdit, 'langPreference'>, lang: string): string | undefined {
  if (p.preferredEmail !== '' && !isValidHandle(p.preferredEmail)) return 'The preferred e-mail address is not valid.';
  if (!/^\d{1,5}$/.test(lang) || Number(lang) < 1 || Number(lang) > 65535) return 'The language must be a number (an LCID).';
  if (!/^([A-Z]{2})?$/.test(p.country)) return 'The country/region must be two letters, like US.';
  if (!isPlainText(p.postalCode, 16)) return 'The postal code may have at most 16 letters, digits or spaces.';
  if (!GENDERS.includes(p.gender)) return 'Choose a gender from the list.';
  if (!/^(\d{1,3})?$/.test(p.age)) return 'The age must be a number.';
  if (!isPlainText(p.birthday, 32)) return 'The birthday may have at most 32 plain characters.';
  return undefined;
}

// ---- PROFILE: the member-directory listing (MSNP5.md 8.1, 9.17) ---------------------------------

const EMPTY_ENTRY: DirectoryEntry = { listed: false, firstName: '', lastName: '', city: '', state: '', country: '' };
const DIRECTORY_FIELD_MAX = 64;

function showDirectory(reply: FastifyReply, member: Member, status: number, entry: DirectoryEntry, notice?: Notice): FastifyReply {
  const body = html`<p>Listed members can be found with <b>Find a contact</b> in MSN Messenger, by name and
place. Your e-mail address is never shown in the directory.</p>
<form method="post" action="${SERVICE_PAGES.PROFILE}">
<input type="hidden" name="form_token" value="${member.formToken}">
<table class="form">
${row('List me in the member directory', checkbox('listed', entry.listed))}
${row('First name', input('firstName', entry.firstName))}
${row('Last name', input('lastName', entry.lastName))}
${row('City', input('city', entry.city))}
${row('State', input('state', entry.state, 'text', 10))}
${row('Country/region', input('country', entry.country, 'text', 10))}
</table>
<p><input type="submit" id="save" value="Save"></p>
</form>`;
  return sendPage(reply, status, 'Your member directory listing', body, { signedIn: member.account.handle, notice });
}

async function saveDirectory(deps: WebDeps, reply: FastifyReply, member: Member, fields: Fields): Promise<FastifyReply> {
  const current = (await deps.store.directoryEntry(member.account.id)) ?? EMPTY_ENTRY;
  if (!formTokenMatches(member, fields)) return showDirectory(reply, member, 403, current, EXPIRED_FORM);
  const entry = directoryEntryFrom(fields);
  const problem = directoryProblem(entry);
  if (problem) return showDirectory(reply, member, 400, entry, { kind: 'error', text: problem });
  await deps.store.setDirectoryEntry(member.account.id, entry);
  const text = entry.listed ? 'Saved. You are listed in the member directory.' : 'Saved. You are not listed in the member directory.';
  return showDirectory(reply, member, 200, entry, { kind: 'ok', text });
}

function directoryEntryFrom(fields: Fields): DirectoryEntry {
  const text = (name: string): string => (fields[name] ?? '').trim();
  return {
    listed: fields.listed === 'Y',
    firstName: text('firstName'),
    lastName: text('lastName'),
    city: text('city'),
    state: text('state'),
    country: text('country'),
  };
}

function directoryProblem(entry: DirectoryEntry): string | undefined {
  const values = [entry.firstName, entry.lastName, entry.city, entry.state, entry.country];
  if (values.some((v) => v.length > DIRECTORY_FIELD_MAX)) return `Each field may have at most ${DIRECTORY_FIELD_MAX} characters.`;
  // FND results carry the values %-encoded; each must be one msnd would read back in a query (MSNP5.md 3.4).
  if (!values.every(isDirectoryValue)) {
    return 'A field is too long once encoded (Chinese, Japanese or Korean characters take more room) or has a control character.';
  }
  // A search needs a first and a last name (MSNP5.md 9.17), so a listing without them is never found.
  if (entry.listed && (entry.firstName === '' || entry.lastName === '')) return 'To be listed, give your first and last name.';
  if (values.some((v) => v === '*')) return 'A field may not be just "*".';
  return undefined;
}

// ---- a member's public profile ------------------------------------------------------------------

async function showMember(deps: WebDeps, reply: FastifyReply, id: string): Promise<FastifyReply> {
  const notFound = (): FastifyReply => sendPage(reply, 404, 'Member not found', html`<p>There is no public profile with this number.</p>`);
  if (!/^\d{1,12}$/.test(id)) return notFound();
  const account = await deps.store.transaction((tx) => tx.accountById(Number(id)));
  const entry = account && (await deps.store.directoryEntry(account.id));
  // Only members listed in the directory have a public profile; it never shows the e-mail address.
  if (!account || !entry?.listed) return notFound();
  // A friendly name defaults to the handle (MSNP5.md 6.3): one that looks like an address is not shown.
  const friendly = percentDecode(account.friendlyName).toString('utf8');
  const name = friendly.includes('@') ? '' : friendly;
  const place = [entry.city, entry.state, entry.country].filter((v) => v !== '').join(', ');
  const body: Html = html`<table class="form">
${row('Name', html`<span id="name">${entry.firstName} ${entry.lastName}</span>`)}
${name ? row('Messenger name', html`<span id="friendly">${name}</span>`) : ''}
${place ? row('Lives in', html`<span id="place">${place}</span>`) : ''}
</table>`;
  return sendPage(reply, 200, 'Member profile', body);
}
