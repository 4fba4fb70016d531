/**
 * A backing service (the store or the bus) could not be reached, or did not answer in time. Store
 * and bus implementations throw it for connection failures so that the server can answer with the
 * reference's code for that case (601, MSNP5.md 13) rather than with an internal error (500).
 */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError';

  constructor(
    readonly service: 'store' | 'bus',
    cause: unknown,
  ) {
    super(`${service} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Whether an error says that a backing service is down (rather than a fault in msnd). */
export function isServiceUnavailable(error: unknown): error is ServiceUnavailableError {
  return error instanceof ServiceUnavailableError;
}
