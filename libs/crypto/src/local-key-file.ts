import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { publishPrivateFile } from '#platform';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';

export const LOCAL_KEY_BYTES = 32;
const CANONICAL_BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

/** What a start does around a missing key file; the app decides, this file only writes. */
export interface LocalKeyFileHooks {
  /**
   * Called when the key file is missing, before a new key is written: throw to refuse (values
   * encrypted with the missing key could never be read again, and new ones would use another key).
   */
  beforeCreate?: (file: string) => Promise<void>;
  /** Called after this process wrote a new key file, with the new key's id. */
  created?: (file: string, keyId: string) => void;
}

/**
 * Reads the local key-encryption key (32 random bytes, base64, one line), creating the file with
 * mode 0600 on first use. Errors name the file, never its content. `created` is false when the file
 * was there, or another process published it first.
 */
export async function loadOrCreateKeyFile(
  keyFile: string,
  hooks: LocalKeyFileHooks = {},
): Promise<{ file: string; key: Buffer; created: boolean }> {
  const file = path.resolve(keyFile);
  const existing = await readKeyFile(file);
  if (existing) return { file, key: existing, created: false };
  await hooks.beforeCreate?.(file);
  const created = await createKeyFile(file);
  // Whether this process or a concurrent one published the file, everyone uses what is on disk.
  const key = await readKeyFile(file);
  if (!key) throw unavailable(`Key file ${file} disappeared right after it was created`);
  return { file, key, created };
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw unavailable(`Cannot open key file ${file} (${errnoCode(err) ?? 'unknown error'})`, err);
  }
  try {
    // fstat on the open handle: the mode checked is that of the file actually read.
    const stat = await handle.stat();
    if (!stat.isFile()) throw unavailable(`Key file ${file} is not a regular file`);
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
      throw unavailable(
        `Key file ${file} is accessible by group or others (mode ${mode}); restrict it with chmod 600`,
      );
    }
    const text = (await handle.readFile('utf8')).trim();
    if (!CANONICAL_BASE64_KEY.test(text)) {
      throw unavailable(`Key file ${file} does not hold a base64-encoded ${LOCAL_KEY_BYTES}-byte key`);
    }
    return Buffer.from(text, 'base64');
  } finally {
    await handle.close();
  }
}

/** Publishes a new key (publishPrivateFile: never half-written, never over another process's key). */
async function createKeyFile(file: string): Promise<boolean> {
  const key = randomBytes(LOCAL_KEY_BYTES);
  try {
    return publishPrivateFile(file, `${key.toString('base64')}\n`);
  } catch (err) {
    throw unavailable(`Cannot create key file ${file} (${errnoCode(err) ?? 'unknown error'})`, err);
  } finally {
    key.fill(0);
  }
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function unavailable(message: string, cause?: unknown): CryptoError {
  return new CryptoError(CryptoErrorCode.KeyUnavailable, message, cause === undefined ? {} : { cause });
}
