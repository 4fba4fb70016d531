// The one way core says no: a refusal with the reference's error code (MSNP5.md 13).
import type { ErrorCodeValue } from '../protocol/errors.ts';

/** A refused request; nothing was changed. The server answers it as `<code> <TrID>`. */
export interface Failure {
  readonly error: ErrorCodeValue;
}

/** A result of core: what happened, or why nothing did. */
export type Outcome<T> = ({ ok: true } & T) | Failure;

export function failure(code: ErrorCodeValue): Failure {
  return { error: code };
}

export function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && 'error' in value && typeof value.error === 'number';
}
