// The changer of the fan-out scenario (bench/load/fanout.ts), in a worker thread of the generator that
// holds its watchers: its socket has an event loop of its own, so its CHG reply is timed when it
// arrives, not after the generator has read hundreds of watchers' NLN lines that came with it. Times
// cross the thread boundary on a clock both threads share: performance.timeOrigin + performance.now().
import { parentPort } from 'node:worker_threads';
import { MsnpConnection } from '../../src/client/connection.ts';
import type { Credentials, Target } from './common.ts';
import { signIn } from './hold.ts';

export type StarRequest =
  | { kind: 'open'; target: Target; star: Credentials; localAddress: string | undefined }
  | { kind: 'change'; status: string }
  | { kind: 'close' };

export type StarAnswer =
  | { kind: 'opened' }
  | { kind: 'failed'; message: string }
  /** `sentAt`: when CHG was written, on the shared clock; `replyMs`: until its reply was read */
  | { kind: 'changed'; sentAt: number; replyMs: number };

/** The clock shared by the threads of a process. */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

let star: MsnpConnection | undefined;
let close: () => void = () => {};

async function open(target: Target, account: Credentials, localAddress: string | undefined): Promise<void> {
  if (target.kind === 'msnd') {
    const client = await signIn(target, account, localAddress);
    star = client.conn;
    close = () => client.close();
  } else {
    const conn = await MsnpConnection.connect(target.host, target.ports.ns, { localAddress, inboxLimit: 10 });
    star = conn;
    close = () => conn.close();
  }
}

async function change(status: string): Promise<StarAnswer> {
  if (!star) throw new Error('open the star first');
  const sentAt = sharedNow();
  const start = performance.now();
  await star.request('CHG', status);
  const replyMs = performance.now() - start;
  star.drain();
  return { kind: 'changed', sentAt, replyMs };
}

async function answer(request: StarRequest): Promise<StarAnswer | undefined> {
  switch (request.kind) {
    case 'open':
      await open(request.target, request.star, request.localAddress);
      return { kind: 'opened' };
    case 'change':
      return change(request.status);
    case 'close':
      close();
      star = undefined;
      parentPort?.close();
      return undefined;
  }
}

parentPort?.on('message', (request: StarRequest) => {
  answer(request).then(
    (reply) => reply && parentPort?.postMessage(reply),
    (error: unknown) => parentPort?.postMessage({ kind: 'failed', message: String(error) } satisfies StarAnswer),
  );
});
