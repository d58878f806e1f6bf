import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';
import type { EncryptorKind } from './encryptor.port.js';

/**
 * The envelope blob, version 1 (all lengths big-endian):
 *
 *   version u8 = 1 | kind u8 (1 local, 2 kms) | keyIdLen u16 | keyId utf8
 *   | wrappedKeyLen u16 | wrappedKey | iv (12) | tag (16) | ciphertext (rest)
 *
 * The payload is AES-256-GCM under a fresh random data key (DEK); its AAD is every header byte
 * (version through wrappedKey) followed by the context, so no header byte can be altered or swapped
 * without the tag failing. The DEK is wrapped by the key-encryption key with the context as AAD too.
 */
export const ENVELOPE_VERSION = 1;

const KIND_CODES: Record<EncryptorKind, number> = { local: 1, kms: 2 };
export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_FIELD_BYTES = 0xffff;

export interface WrappedKey {
  /** Which key-encryption key wrapped the DEK: a local key fingerprint or a KMS key version name. */
  readonly keyId: string;
  readonly wrappedKey: Buffer;
}

/** Wraps data keys with a key-encryption key; the one part that differs between local and KMS. */
export interface KeyWrapper {
  readonly kind: EncryptorKind;
  wrap(dek: Buffer, context: string): Promise<WrappedKey>;
  unwrap(wrapped: WrappedKey, context: string): Promise<Buffer>;
}

export interface Envelope extends WrappedKey {
  readonly version: number;
  readonly kind: EncryptorKind;
  /** The serialised header bytes, authenticated as part of the payload AAD. */
  readonly header: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

export async function sealEnvelope(
  wrapper: KeyWrapper,
  plaintext: Buffer | string,
  context: string,
): Promise<Buffer> {
  const aadContext = contextBytes(context, CryptoErrorCode.EncryptFailed);
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const dek = randomBytes(DATA_KEY_BYTES);
  try {
    const header = encodeHeader(wrapper.kind, await wrapper.wrap(dek, context));
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', dek, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.concat([header, aadContext]));
    const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
  } catch (err) {
    if (err instanceof CryptoError) throw err;
    throw new CryptoError(CryptoErrorCode.EncryptFailed, 'Encryption failed', { cause: err });
  } finally {
    dek.fill(0);
  }
}

export async function openEnvelope(wrapper: KeyWrapper, blob: Uint8Array, context: string): Promise<Buffer> {
  const aadContext = contextBytes(context, CryptoErrorCode.DecryptFailed);
  const envelope = decodeEnvelope(blob);
  if (envelope.kind !== wrapper.kind) {
    throw decryptFailed(
      `The value was encrypted with a ${label(envelope.kind)} key, but this service uses a ${label(wrapper.kind)} key`,
    );
  }
  const dek = await unwrapKey(wrapper, envelope, context);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, envelope.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.concat([envelope.header, aadContext]));
    decipher.setAuthTag(envelope.tag);
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
  } catch (err) {
    throw decryptFailed('Decryption failed: wrong context, wrong key or altered ciphertext', err);
  } finally {
    dek.fill(0);
  }
}

/** Parses a blob without decrypting it (e.g. to find values still under an old key id). */
export function decodeEnvelope(blob: Uint8Array): Envelope {
  if (!(blob instanceof Uint8Array)) throw decryptFailed('The encrypted value is not binary data');
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const reader = new Reader(bytes);
  const version = reader.u8();
  if (version !== ENVELOPE_VERSION) {
    throw decryptFailed(`Unsupported encrypted value format (version ${version})`);
  }
  const kindCode = reader.u8();
  const kind = (Object.keys(KIND_CODES) as EncryptorKind[]).find((k) => KIND_CODES[k] === kindCode);
  if (!kind) throw decryptFailed(`Unknown key kind ${kindCode} in encrypted value`);
  const keyIdBytes = reader.sized();
  const keyId = keyIdBytes.toString('utf8');
  if (!Buffer.from(keyId, 'utf8').equals(keyIdBytes)) throw decryptFailed('Malformed encrypted value');
  const wrappedKey = reader.sized();
  const header = bytes.subarray(0, reader.offset);
  const iv = reader.take(IV_BYTES);
  const tag = reader.take(TAG_BYTES);
  return { version, kind, keyId, wrappedKey, header, iv, tag, ciphertext: reader.rest() };
}

async function unwrapKey(wrapper: KeyWrapper, wrapped: WrappedKey, context: string): Promise<Buffer> {
  try {
    return await wrapper.unwrap(wrapped, context);
  } catch (err) {
    if (err instanceof CryptoError) throw err;
    throw decryptFailed('The data key could not be unwrapped', err);
  }
}

/** Key ids come from stored blobs; show them in messages only in a harmless, bounded form. */
export function printableKeyId(keyId: string): string {
  const shown = keyId.replace(/[^\w./:-]/g, '?');
  return shown.length > 160 ? `${shown.slice(0, 160)}…` : shown;
}

function encodeHeader(kind: EncryptorKind, wrapped: WrappedKey): Buffer {
  const keyId = Buffer.from(wrapped.keyId, 'utf8');
  return Buffer.concat([
    Buffer.from([ENVELOPE_VERSION, KIND_CODES[kind]]),
    sized(keyId),
    sized(wrapped.wrappedKey),
  ]);
}

function sized(field: Buffer): Buffer {
  if (field.length === 0 || field.length > MAX_FIELD_BYTES) {
    throw new CryptoError(CryptoErrorCode.EncryptFailed, 'Key id or wrapped key has an invalid length');
  }
  const length = Buffer.alloc(2);
  length.writeUInt16BE(field.length);
  return Buffer.concat([length, field]);
}

function contextBytes(context: string, code: CryptoErrorCode): Buffer {
  if (typeof context !== 'string' || context.length === 0) {
    throw new CryptoError(code, 'An encryption context is required');
  }
  return Buffer.from(context, 'utf8');
}

function label(kind: EncryptorKind): string {
  return kind === 'kms' ? 'Cloud KMS' : 'local';
}

function decryptFailed(message: string, cause?: unknown): CryptoError {
  return new CryptoError(CryptoErrorCode.DecryptFailed, message, cause === undefined ? {} : { cause });
}

class Reader {
  offset = 0;

  constructor(private readonly buf: Buffer) {}

  u8(): number {
    return this.take(1)[0] as number;
  }

  /** A u16-length-prefixed field; empty fields are never written, so one means corruption. */
  sized(): Buffer {
    const length = this.take(2).readUInt16BE(0);
    if (length === 0) throw decryptFailed('Malformed encrypted value');
    return this.take(length);
  }

  take(n: number): Buffer {
    if (this.offset + n > this.buf.length) throw decryptFailed('The encrypted value is truncated');
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  rest(): Buffer {
    const out = this.buf.subarray(this.offset);
    this.offset = this.buf.length;
    return out;
  }
}
