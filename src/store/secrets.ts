import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeDataDir } from './data-dir.ts';

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
  const source = SecretKeySource.resolve(opts);
  return source.load() ?? source.create();
}

/**
 * Where the server key comes from: MSND_SECRET_KEY, or the key file of the data directory, read
 * when asked (`load`), so that the store can refuse to make a new key for data written under
 * another one (store/key-check.ts) before anything is written.
 */
export class SecretKeySource {
  private loaded: Buffer | undefined;

  private constructor(
    /** "MSND_SECRET_KEY" or "key file PATH", for messages. */
    readonly description: string,
    private readonly file: string | undefined,
    given: Buffer | undefined,
  ) {
    this.loaded = given;
  }

  static resolve(opts: { dataDir?: string; env?: NodeJS.ProcessEnv }): SecretKeySource {
    const fromEnv = (opts.env ?? process.env)[SECRET_KEY_ENV];
    if (fromEnv !== undefined) return new SecretKeySource(SECRET_KEY_ENV, undefined, parseEnvKey(fromEnv));
    if (opts.dataDir === undefined) {
      throw new SecretKeyError(`no secret key: set ${SECRET_KEY_ENV} or give a data directory`);
    }
    const file = join(opts.dataDir, SECRET_KEY_FILE);
    return new SecretKeySource(`key file ${file}`, file, undefined);
  }

  /** A key given by the caller (tests, tools). */
  static fixed(key: Buffer): SecretKeySource {
    return new SecretKeySource('the given secret key', undefined, checkedKey(key));
  }

  /** The key file's path, when the key comes from one. */
  get path(): string | undefined {
    return this.file;
  }

  /** The key, or undefined when its file does not exist (yet). */
  load(): Buffer | undefined {
    if (this.loaded === undefined && this.file !== undefined && fileExists(this.file)) this.loaded = readKeyFile(this.file);
    return this.loaded;
  }

  /** Creates the key file (keeping one another process wrote meanwhile) and returns the key in it. */
  create(): Buffer {
    if (this.file === undefined) throw new SecretKeyError('no key file to create');
    if (!fileExists(this.file)) createKeyFile(this.file);
    this.loaded = readKeyFile(this.file);
    return this.loaded;
  }
}

function parseEnvKey(value: string): Buffer {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64');
  throw new SecretKeyError(`${SECRET_KEY_ENV} must be 64 hexadecimal characters or the base64 encoding of exactly 32 bytes`);
}

function readKeyFile(path: string): Buffer {
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
  makeDataDir(dirname(path));
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

const KEY_CHECK_TEXT = 'msnd key check';
/** The msnd_meta row holding the key check, also its associated data. */
export const KEY_CHECK_META = 'key_check';

/** A value encrypted under the key, kept in the store: a key that cannot open it is not the store's. */
export function makeKeyCheck(key: Buffer): string {
  return encryptSecret(key, KEY_CHECK_TEXT, KEY_CHECK_META);
}

export function opensKeyCheck(key: Buffer, stored: string): boolean {
  try {
    return decryptSecret(key, stored, KEY_CHECK_META) === KEY_CHECK_TEXT;
  } catch {
    return false;
  }
}

/** The key does not open the store's key check (or its accounts); nothing was changed. */
export class KeyMismatchError extends SecretKeyError {
  constructor(readonly source: string) {
    super(
      `the secret key from ${source} does not open this store: its accounts were written under another key. ` +
        `Start msnd with the key they were written with (restore the secret.key file kept with the data, or set ${SECRET_KEY_ENV} to it); nothing was changed`,
    );
    this.name = 'KeyMismatchError';
  }
}

/** The key file is missing but the store already holds data written under a key; no new key is made. */
export class MissingKeyError extends SecretKeyError {
  constructor(readonly path: string) {
    super(
      `${path} is missing, but this store was set up under a secret key (its accounts are written under it); msnd will not make a new key for it. ` +
        `Restore the secret.key file kept with the data (or set ${SECRET_KEY_ENV} to that key); nothing was changed`,
    );
    this.name = 'MissingKeyError';
  }
}
