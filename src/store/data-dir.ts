import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A data directory that cannot be made or used; the message names the path. */
export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

/**
 * Creates `dir` and its missing parents (mode 0700), one level at a time: Node's recursive mkdir
 * never returns on some paths under /proc (e.g. /proc/sys/x), this fails at once naming the path.
 */
export function makeDataDir(dir: string): void {
  const path = resolve(dir);
  const missing: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    const kind = kindOf(at);
    if (kind === 'directory') break;
    if (kind === 'other') throw new DataDirError(`data directory ${dir}: ${at} exists and is not a directory`);
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const at of missing) {
    try {
      mkdirSync(at, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && kindOf(at) === 'directory') continue;
      throw new DataDirError(`cannot create data directory ${dir}: ${(err as Error).message}`);
    }
  }
}

function kindOf(path: string): 'directory' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    throw new DataDirError(`data directory ${path}: ${(err as Error).message}`);
  }
}
