// Listening on the configured ports, and saying which listener could not, on what, and why.
import { type AddressInfo, createServer, type Server } from 'node:net';
import type { ServerConfig } from './config.ts';

/** A listener as an operator names it: what it serves, and the options of its port and address. */
export interface NamedListener {
  name: string;
  portOption: string;
  hostOption: string;
}

export const LISTENERS = {
  ds: { name: 'Dispatch Server', portOption: '--ds-port', hostOption: '--host' },
  ns: { name: 'Notification Server', portOption: '--ns-port', hostOption: '--host' },
  sb: { name: 'Switchboard', portOption: '--sb-port', hostOption: '--host' },
  web: { name: 'web server', portOption: '--http-port', hostOption: '--host' },
  metrics: { name: 'metrics listener', portOption: '--metrics-port', hostOption: '--metrics-host' },
} as const satisfies Record<string, NamedListener>;

/** Listens; a listener that cannot says which one, on what, and the setting that chose it. */
export function listen(server: Server, host: string, port: number, listener: NamedListener): Promise<number> {
  return new Promise((resolve, reject) => {
    const refused = (err: Error): void => reject(listenFailure(listener, host, port, err));
    server.once('error', refused);
    server.listen(port, host, () => {
      server.off('error', refused);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Listens on every fixed port of `config` for a moment, all at once (two of msnd's own listeners on
 * one port fail too), then lets go: `msnd serve` calls it before it makes or opens anything, so
 * that a port in use stops a first start without leaving a new data directory or store behind.
 * A program that takes a port between this and the real listen still stops the start (listen).
 */
export async function probeListeners(config: ServerConfig): Promise<void> {
  const planned: [NamedListener, string, number | undefined][] = [
    [LISTENERS.ds, config.host, config.dsPort],
    [LISTENERS.ns, config.host, config.nsPort],
    [LISTENERS.sb, config.host, config.sbPort],
    [LISTENERS.web, config.host, config.httpPort],
    [LISTENERS.metrics, config.metricsHost, config.metricsPort],
  ];
  const held: Server[] = [];
  try {
    for (const [listener, host, port] of planned) {
      if (port === undefined || port === 0) continue;
      const server = createServer();
      await listen(server, host, port, listener);
      held.push(server);
    }
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Why `listener` could not listen on host:port, in the operator's words. */
export function listenFailure(listener: NamedListener, host: string, port: number, err: Error): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const [why, fix] =
    code === 'EADDRINUSE'
      ? ['the port is in use (by another program, or another of msnd’s listeners)', `choose another with ${listener.portOption}`]
      : code === 'EACCES'
        ? ['not allowed (ports below 1024 need privileges)', `choose another with ${listener.portOption}`]
        : code === 'EADDRNOTAVAIL'
          ? ['this machine has no such address', `give one of its own with ${listener.hostOption}`]
          : [err.message, `check ${listener.hostOption} and ${listener.portOption}`];
  return new Error(`the ${listener.name} cannot listen on ${host}:${port}: ${why}; ${fix}`, { cause: err });
}
