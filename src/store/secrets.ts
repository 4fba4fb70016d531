import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The server key that encrypts MD5-scheme secrets at rest (DESIGN.md, Data). Never log it. */
export const SECRET_KEY_ENV = 'MSND_SECRET_KEY';
export const SECRET_KEY_FILE = 'secret.key';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

/** MSND_SECRET_KEY wins; else `<dataDir>/secret.key`, created (mode 0600) when missing. */
export function loadSecretKey(opts: { dataDir?: string; env?: NodeJS.ProcessEnv }): Buffer {
  const fromEnv = (opts.env ?? process.env)[SECRET_KEY_ENV];
  if (fromEnv !== undefined) return parseEnvKey(fromEnv);
  if (opts.dataDir === undefined) {
    throw new SecretKeyError(`no secret key: set ${SECRET_KEY_ENV} or give a data directory`);
  }
  return loadOrCreateKeyFile(join(opts.dataDir, SECRET_KEY_FILE));
}

function parseEnvKey(value: string): Buffer {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64');
  throw new SecretKeyError(`${SECRET_KEY_ENV} must be 64 hexadecimal characters or the base64 encoding of exactly 32 bytes`);
}

function loadOrCreateKeyFile(path: string): Buffer {
  if (!fileExists(path)) createKeyFile(path);
  refuseLooseMode(path);
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new SecretKeyError(`secret key file ${path} must hold 64 hexadecimal characters`);
  }
  return Buffer.from(text, 'hex');
}

function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

// Written aside and linked into place so a concurrent reader never sees a half-written key, and a
// second process starting at the same moment keeps the first key instead of replacing it.
function createKeyFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temporary);
  }
}

function refuseLooseMode(path: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new SecretKeyError(
      `secret key file ${path} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); ` + `run: chmod 600 ${path}`,
    );
  }
}

/**
 * AES-256-GCM with a fresh IV; the result is base64 of iv ‖ tag ‖ ciphertext. `associatedData`
 * (the store passes the handle) binds the ciphertext to its row, so it cannot be copied to another.
 */
export function encryptSecret(key: Buffer, plaintext: string, associatedData = ''): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, checkedKey(key), iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

/** Throws when the stored value was altered or was encrypted under another key or row. */
export function decryptSecret(key: Buffer, stored: string, associatedData = ''): string {
  const bytes = Buffer.from(stored, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('stored secret is malformed');
  const decipher = createDecipheriv(ALGORITHM, checkedKey(key), bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    const plaintext = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return plaintext.toString('utf8');
  } catch {
    throw new Error('stored secret failed authentication (tampered, or written under another key)');
  }
}

function checkedKey(key: Buffer): Buffer {
  if (key.length !== KEY_BYTES) throw new SecretKeyError(`secret key must be ${KEY_BYTES} bytes`);
  return key;
}
