// Running the msnd command as a real process in tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'msnd.js');

export function msnd(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface Served {
  child: ChildProcess;
  ports: { ds: number; ns: number; sb: number };
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Starts `msnd serve` on free ports and reads the ports it prints (`bin`: another msnd, e.g. an installed one). */
export function serve(dataDir: string, extra: string[] = [], bin = BIN): Promise<Served> {
  const child = spawn(process.execPath, [
    bin,
    'serve',
    '--data',
    dataDir,
    '--ds-port',
    '0',
    '--ns-port',
    '0',
    '--sb-port',
    '0',
    '--http-port',
    '0',
    ...extra,
  ]);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /Dispatch Server on [^:]+:(\d+), Notification Server on [^:]+:(\d+), Switchboard on [^:]+:(\d+)/.exec(stderr);
      if (match)
        resolve({ child, ports: { ds: +match[1]!, ns: +match[2]!, sb: +match[3]! }, stdout: () => stdout, stderr: () => stderr, exit });
    });
    void exit.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}
