// Health for load balancers and orchestrators: no token, nothing secret.
import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../deps.ts';

export function healthRoutes(app: FastifyInstance, deps: WebDeps): void {
  /** Alive: the process answers HTTP. */
  app.get('/healthz', async (_request, reply) => reply.code(200).type('text/plain').send('ok\n'));
  /** Ready: the store and the bus answer (deps.unready bounds how long they may take). */
  app.get('/readyz', async (_request, reply) => {
    const problem = deps.unready ? await deps.unready() : undefined;
    if (problem !== undefined) return reply.code(503).type('text/plain').send(`not ready: ${problem}\n`);
    return reply.code(200).type('text/plain').send('ready\n');
  });
}
