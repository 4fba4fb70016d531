import type { FastifyReply, FastifyRequest } from 'fastify';
import { page, type Html, type PageOptions } from './html.ts';

/** A success note or an error shown above a page's content. */
export type Notice = { kind: 'ok' | 'error'; text: string };

/** The answer to a signed-in POST without this session's form token. */
export const EXPIRED_FORM: Notice = { kind: 'error', text: 'This form has expired. Please try again.' };

const PASSWORD_MIN = 6;
const PASSWORD_MAX = 128;

/** Why a new password is refused, or undefined. Printable ASCII: every client of the period can type and hash it alike. */
export function passwordProblem(password: string, confirm: string): string | undefined {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    return `The password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`;
  }
  if (!/^[\x21-\x7e]+$/.test(password)) return 'The password may have letters, digits and punctuation only (no spaces).';
  if (password !== confirm) return 'The two passwords are not the same.';
  return undefined;
}

/** Submitted fields: the first value of each, strings only. */
export type Fields = Record<string, string | undefined>;

/** The fields of a POSTed form, or of the query string of a GET. */
export function formFields(request: FastifyRequest): Fields {
  const source = request.method === 'POST' ? request.body : request.query;
  const fields: Fields = {};
  if (!source || typeof source !== 'object') return fields;
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') fields[name] = first;
  }
  return fields;
}

/** Answers with a whole page. */
export function sendPage(reply: FastifyReply, status: number, title: string, body: Html, options?: PageOptions): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(page(title, body, options));
}

/** Printable ASCII only: profile values end up in MIME headers (MSNP5.md 12.1), so no CR/LF. */
export function isPlainText(value: string, maxLength: number): boolean {
  return value.length <= maxLength && /^[\x20-\x7e]*$/.test(value);
}
