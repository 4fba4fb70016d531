import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

/**
 * The address a request counts from (limits, lockouts, logs, the web Messenger's admission):
 * Fastify's `request.ip`, which behind a trusted proxy (`trustProxy`) is what X-Forwarded-For
 * names. A proxy that passes on a header of the client's own can make that any text (`garbage`, a
 * 5,000-character word): then the connection's address counts, as if no proxy were trusted.
 */
export function clientAddress(request: FastifyRequest): string {
  const { ip } = request;
  if (isIP(ip) !== 0) return ip;
  return request.socket.remoteAddress ?? ip;
}
