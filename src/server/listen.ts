// Listening on the configured ports, and saying which listener could not, on what, and why.
import type { AddressInfo, Server } from 'node:net';

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

/** A listener as an operator names it: what it serves, and the options of its port and address. */
export interface NamedListener {
  name: string;
  portOption: string;
  hostOption: string;
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
