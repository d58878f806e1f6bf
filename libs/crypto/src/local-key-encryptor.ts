import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';
import type { Encryptor, EncryptorKind } from './encryptor.port.js';
import {
  DATA_KEY_BYTES,
  openEnvelope,
  printableKeyId,
  sealEnvelope,
  type KeyWrapper,
  type WrappedKey,
} from './envelope.js';
import { loadOrCreateKeyFile, type LocalKeyFileHooks } from './local-key-file.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Envelope encryption with a key-encryption key kept in a local file: the embedded default, for
 * development and single-machine installs. Production uses KmsEncryptor.
 */
export class LocalKeyEncryptor implements Encryptor {
  readonly kind = 'local' as const;
  /** First 8 hex chars of SHA-256(KEK): stored in every blob to tell key files apart. */
  readonly keyId: string;
  private readonly wrapper: KeyWrapper;

  private constructor(kek: Buffer) {
    this.keyId = createHash('sha256').update(kek).digest('hex').slice(0, 8);
    this.wrapper = new LocalKeyWrapper(kek, this.keyId);
  }

  /** Loads the key file, creating it (mode 0600, parent directories included) on first use. */
  static async open(keyFile: string, hooks: LocalKeyFileHooks = {}): Promise<LocalKeyEncryptor> {
    const { file, key, created } = await loadOrCreateKeyFile(keyFile, hooks);
    const encryptor = new LocalKeyEncryptor(key);
    if (created) hooks.created?.(file, encryptor.keyId);
    return encryptor;
  }

  /** Whether a stored value's key id (see decodeEnvelope) names this key. */
  owns(kind: EncryptorKind, keyId: string): boolean {
    return kind === 'local' && keyId === this.keyId;
  }

  encrypt(plaintext: Buffer | string, context: string): Promise<Buffer> {
    return sealEnvelope(this.wrapper, plaintext, context);
  }

  decrypt(ciphertext: Buffer, context: string): Promise<Buffer> {
    return openEnvelope(this.wrapper, ciphertext, context);
  }

  /** The key was read and checked by `open` and lives in memory, so it cannot become unavailable. */
  async ping(): Promise<void> {}
}

/** Wrapped key = IV (12) | AES-256-GCM(KEK, DEK) (32) | tag (16), with the context as AAD. */
class LocalKeyWrapper implements KeyWrapper {
  readonly kind = 'local' as const;

  constructor(
    private readonly kek: Buffer,
    private readonly keyId: string,
  ) {}

  async wrap(dek: Buffer, context: string): Promise<WrappedKey> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([cipher.update(dek), cipher.final()]);
    return { keyId: this.keyId, wrappedKey: Buffer.concat([iv, sealed, cipher.getAuthTag()]) };
  }

  async unwrap(wrapped: WrappedKey, context: string): Promise<Buffer> {
    if (wrapped.keyId !== this.keyId) {
      throw new CryptoError(
        CryptoErrorCode.DecryptFailed,
        `The value was encrypted with another key (id ${printableKeyId(wrapped.keyId)}); ` +
          `the local key file in use has id ${this.keyId}`,
      );
    }
    const blob = wrapped.wrappedKey;
    try {
      if (blob.length !== IV_BYTES + DATA_KEY_BYTES + TAG_BYTES)
        throw new Error('Wrapped key has a wrong length');
      const decipher = createDecipheriv('aes-256-gcm', this.kek, blob.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
      const sealed = blob.subarray(IV_BYTES, blob.length - TAG_BYTES);
      return Buffer.concat([decipher.update(sealed), decipher.final()]);
    } catch (err) {
      throw new CryptoError(
        CryptoErrorCode.DecryptFailed,
        'Decryption failed: wrong context, wrong key or altered ciphertext',
        { cause: err },
      );
    }
  }
}
