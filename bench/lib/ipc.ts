// Request/response over the IPC channel of a forked child: the benchmark's processes talk this way.
import { fork, type ChildProcess } from 'node:child_process';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: children run from here so that `--import tsx` resolves. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How a child runs SCRIPT (a .ts source): from the compiled tree that scripts/run-bench.js or
 * scripts/run-tests.js made (MSND_COMPILED_TREE), or through tsx when run from the sources.
 */
function childCommand(script: string): { script: string; execArgv: string[] } {
  const compiled = process.env.MSND_COMPILED_TREE;
  if (compiled === undefined || compiled === '') return { script, execArgv: ['--import', 'tsx'] };
  return { script: join(compiled, relative(REPO_ROOT, script)).replace(/\.ts$/, '.js'), execArgv: [] };
}

/** The file a worker thread of a child runs for SCRIPT (it inherits the child's --import tsx, if any). */
export function threadScript(script: string): string {
  return childCommand(script).script;
}

type Handler = (params: any) => unknown;

interface RequestMessage {
  type: 'request';
  id: number;
  op: string;
  params: unknown;
}

interface ResponseMessage {
  type: 'response';
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

interface ReadyMessage {
  type: 'ready';
  info: unknown;
}

/** A child process of the benchmark: started with `start`, driven with `request`, ended with `stop`. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private exited = false;
  readonly exit: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    this.exit = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
    process.on('message', (message: ResponseMessage) => this.onMessage(message));
    void this.exit.then((code) => {
      this.exited = true;
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`${name} exited (code ${code}) with a request pending`));
      }
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Forks `node <script> args…` (see childCommand) and waits for its 'ready' message (its info). */
  static async start<T>(
    name: string,
    script: string,
    args: string[],
    opts: { execArgv?: string[]; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {},
  ): Promise<{ child: Child; info: T }> {
    const command = childCommand(script);
    const proc = fork(command.script, args, {
      cwd: REPO_ROOT,
      execArgv: [...command.execArgv, ...(opts.execArgv ?? [])],
      env: opts.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child = new Child(name, proc);
    const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
    const info = await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
      const onReady = (message: ReadyMessage): void => {
        if (message?.type !== 'ready') return;
        clearTimeout(timer);
        proc.off('message', onReady);
        resolve(message.info as T);
      };
      proc.on('message', onReady);
      void child.exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (code ${code}) before it was ready`));
      });
    }).catch((err: Error) => {
      child.kill();
      throw err;
    });
    return { child, info };
  }

  request<T = unknown>(op: string, params: unknown = {}, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.process.send({ type: 'request', id, op, params } satisfies RequestMessage);
    });
  }

  /** Asks the child to exit (it exits after answering), waits up to timeoutMs, then kills it. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.exited) return;
    try {
      await this.request('stop', {}, timeoutMs);
    } catch {
      // it may exit before it answers
    }
    const timer = setTimeout(() => this.kill(), timeoutMs);
    await this.exit;
    clearTimeout(timer);
  }

  /** Kills this child (only this one, by its pid). */
  kill(): void {
    if (!this.exited) this.process.kill('SIGKILL');
  }

  private onMessage(message: ResponseMessage): void {
    if (message?.type !== 'response') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new Error(`${this.name}: ${message.error}`));
  }
}

/**
 * The child side: announces `info` as ready and answers requests with the handlers. `stop` answers,
 * runs `onStop`, then exits (a --cpu-prof profile is written at that exit). A child whose parent
 * goes away exits too.
 */
export function serveRequests(handlers: Record<string, Handler>, info: unknown, onStop?: () => Promise<void> | void): void {
  if (!process.send) throw new Error('this script is a child of bench/run.ts (no IPC channel)');
  process.on('disconnect', () => process.exit(1));
  process.on('message', async (message: RequestMessage) => {
    if (message?.type !== 'request') return;
    if (message.op === 'stop') {
      await onStop?.();
      process.send!({ type: 'response', id: message.id, ok: true } satisfies ResponseMessage, () => process.exit(0));
      return;
    }
    const handler = handlers[message.op];
    let response: ResponseMessage;
    try {
      if (!handler) throw new Error(`unknown request ${message.op}`);
      response = { type: 'response', id: message.id, ok: true, result: await handler(message.params) };
    } catch (err) {
      response = { type: 'response', id: message.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    process.send!(response);
  });
  process.send({ type: 'ready', info } satisfies ReadyMessage);
}

/** CPU time of this process between two calls, as percent of one core. */
export class CpuMeter {
  private cpu = process.cpuUsage();
  private wall = performance.now();

  reset(): void {
    this.cpu = process.cpuUsage();
    this.wall = performance.now();
  }

  percent(): number {
    const used = process.cpuUsage(this.cpu);
    const wallUs = (performance.now() - this.wall) * 1000;
    return wallUs > 0 ? ((used.user + used.system) / wallUs) * 100 : 0;
  }
}
