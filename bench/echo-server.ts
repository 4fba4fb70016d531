// A bare echo server (every chunk written back), the machine's own cost of waking a Node process
// for a request: bench/lib/wakeups.ts drives it. Driven over IPC: cpu-used, stop.
//   node --import tsx bench/echo-server.ts
import { createServer, type AddressInfo } from 'node:net';
import { serveRequests } from './lib/ipc.ts';

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('error', () => {});
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serveRequests(
  {
    /** CPU time used by this process so far, µs */
    'cpu-used': () => {
      const { user, system } = process.cpuUsage();
      return user + system;
    },
  },
  { port: (server.address() as AddressInfo).port },
);
