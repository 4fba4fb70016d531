// How often a process's main thread goes to sleep and is woken, and what a wake-up costs on this
// machine: what splitting one load over several processes costs (the cluster scenario). A process
// that handles many events per turn of its event loop pays once for waking; one that sleeps
// between events pays at each, and more the longer it slept (cold caches, an idle virtual CPU).
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { Child } from './ipc.ts';

const ECHO_SERVER = new URL('../echo-server.ts', import.meta.url).pathname;

/**
 * The times the main thread of process `pid` has slept and been woken so far (Linux: its voluntary
 * context switches); undefined where /proc does not say.
 */
export function mainThreadWakeups(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
    const match = /^voluntary_ctxt_switches:\s*(\d+)/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU per request of a bare echo server (µs), by how the requests find it. */
export interface WakeupCost {
  /** 50 clients, each sending its next request as soon as the last is answered: several per wake-up */
  batchedUs: number;
  /** one client, a request every millisecond or so: each wakes the server after a short sleep */
  afterShortSleepUs: number;
  /** one client, a request every 10 ms: each wakes the server after a longer sleep */
  afterLongSleepUs: number;
}

export async function measureWakeupCost(quick: boolean): Promise<WakeupCost> {
  const { child, info } = await Child.start<{ port: number }>('echo server', ECHO_SERVER, []);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < 50; i++) sockets.push(await connected(info.port));
    const perRequest = async (clients: number, requests: number, gapMs: number): Promise<number> => {
      const before = await child.request<number>('cpu-used');
      await Promise.all(
        sockets.slice(0, clients).map(async (socket) => {
          for (let i = 0; i < requests; i++) {
            await echo(socket);
            if (gapMs > 0) await sleep(gapMs);
          }
        }),
      );
      const after = await child.request<number>('cpu-used');
      return (after - before) / (clients * requests);
    };
    await perRequest(50, quick ? 50 : 200, 0); // warm-up
    return {
      batchedUs: await perRequest(50, quick ? 50 : 200, 0),
      afterShortSleepUs: await perRequest(1, quick ? 300 : 1000, 1),
      afterLongSleepUs: await perRequest(1, quick ? 60 : 200, 10),
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    await child.stop();
  }
}

function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function echo(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.once('data', () => resolve());
    socket.write('x');
  });
}
