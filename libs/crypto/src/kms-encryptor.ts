import { randomBytes } from 'node:crypto';
import { GoogleAuth, type AuthClient } from 'google-auth-library';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';
import type { Encryptor } from './encryptor.port.js';
import {
  DATA_KEY_BYTES,
  decodeEnvelope,
  openEnvelope,
  printableKeyId,
  sealEnvelope,
  type KeyWrapper,
  type WrappedKey,
} from './envelope.js';
import { KmsRestClient } from './kms-rest-client.js';

export interface KmsEncryptorOptions {
  /** `projects/{p}/locations/{l}/keyRings/{r}/cryptoKeys/{k}`, a symmetric ENCRYPT_DECRYPT key. */
  keyName: string;
  /** Default `https://cloudkms.googleapis.com`; other values for regional endpoints and tests. */
  apiEndpoint?: string;
  /** Explicit credentials; without one, Application Default Credentials with the cloudkms scope. */
  authClient?: AuthClient;
  /** Per attempt; default 5000. */
  timeoutMs?: number;
  /** Wait before the one retry when KMS gives no Retry-After; default 250. */
  retryDelayMs?: number;
}

const KEY_NAME = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const KMS_SCOPE = 'https://www.googleapis.com/auth/cloudkms';
const DEFAULT_ENDPOINT = 'https://cloudkms.googleapis.com';
const PING_CONTEXT = 'kms-encryptor:ping';

/**
 * Envelope encryption whose data keys are wrapped by a Cloud KMS key: the key material never leaves
 * KMS, and each blob records the key version that wrapped its data key.
 */
export class KmsEncryptor implements Encryptor {
  readonly kind = 'kms' as const;
  readonly keyName: string;
  private readonly wrapper: KeyWrapper;
  private readonly client: KmsRestClient;

  constructor(options: KmsEncryptorOptions) {
    if (!KEY_NAME.test(options.keyName)) {
      throw new CryptoError(
        CryptoErrorCode.KeyUnavailable,
        `Invalid Cloud KMS key name "${printableKeyId(options.keyName)}": ` +
          'expected projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{key}',
      );
    }
    this.keyName = options.keyName;
    const client = (this.client = new KmsRestClient({
      endpoint: (options.apiEndpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
      keyName: options.keyName,
      auth: options.authClient ?? new GoogleAuth({ scopes: [KMS_SCOPE] }),
      timeoutMs: options.timeoutMs ?? 5_000,
      retryDelayMs: options.retryDelayMs ?? 250,
    }));
    this.wrapper = new KmsKeyWrapper(client, options.keyName);
  }

  encrypt(plaintext: Buffer | string, context: string): Promise<Buffer> {
    return sealEnvelope(this.wrapper, plaintext, context);
  }

  /**
   * An envelope of this service; failing that, a value the system this API replaces stored: the
   * plain Cloud KMS ciphertext of the secret under the same key, with no envelope and no context
   * (its org API key copies and provider credentials), so existing rows keep working after cut-over.
   * Only for a value that is no envelope at all, and only through the configured key.
   */
  async decrypt(ciphertext: Buffer, context: string): Promise<Buffer> {
    try {
      return await openEnvelope(this.wrapper, ciphertext, context);
    } catch (err) {
      if (
        !(err instanceof CryptoError) ||
        err.code !== CryptoErrorCode.DecryptFailed ||
        isEnvelope(ciphertext)
      )
        throw err;
      // KMS refusing the ciphertext means the value is bad (the envelope error says how); KMS not
      // answering is an outage (KeyUnavailable, 503) and must not pass for a value that cannot open.
      const legacy = await this.decryptLegacy(ciphertext).catch((legacyErr: unknown) => {
        if (legacyErr instanceof CryptoError && legacyErr.code === CryptoErrorCode.KeyUnavailable)
          throw legacyErr;
        return undefined;
      });
      if (legacy) return legacy;
      throw err;
    }
  }

  private async decryptLegacy(ciphertext: Buffer): Promise<Buffer | undefined> {
    if (ciphertext.length === 0) return undefined;
    const res = await this.client.call('decrypt', { ciphertext: ciphertext.toString('base64') });
    return typeof res.plaintext === 'string' ? Buffer.from(res.plaintext, 'base64') : undefined;
  }

  /** A real encrypt call: the only check that proves both reachability and permission on the key. */
  async ping(): Promise<void> {
    try {
      await this.wrapper.wrap(randomBytes(DATA_KEY_BYTES), PING_CONTEXT);
    } catch (err) {
      if (err instanceof CryptoError && err.code === CryptoErrorCode.KeyUnavailable) throw err;
      const message = err instanceof Error ? err.message : 'Cloud KMS check failed';
      throw new CryptoError(CryptoErrorCode.KeyUnavailable, message, { cause: err });
    }
  }
}

class KmsKeyWrapper implements KeyWrapper {
  readonly kind = 'kms' as const;
  private readonly versionPrefix: string;

  constructor(
    private readonly client: KmsRestClient,
    private readonly keyName: string,
  ) {
    this.versionPrefix = `${keyName}/cryptoKeyVersions/`;
  }

  async wrap(dek: Buffer, context: string): Promise<WrappedKey> {
    const res = await this.client.call('encrypt', {
      plaintext: dek.toString('base64'),
      additionalAuthenticatedData: Buffer.from(context, 'utf8').toString('base64'),
    });
    const { name, ciphertext } = res;
    if (typeof name !== 'string' || !name.startsWith(this.versionPrefix) || typeof ciphertext !== 'string') {
      throw new CryptoError(
        CryptoErrorCode.EncryptFailed,
        'Cloud KMS returned an unexpected encrypt response',
      );
    }
    const wrappedKey = Buffer.from(ciphertext, 'base64');
    if (wrappedKey.length === 0) {
      throw new CryptoError(CryptoErrorCode.EncryptFailed, 'Cloud KMS returned an empty ciphertext');
    }
    return { keyId: name, wrappedKey };
  }

  async unwrap(wrapped: WrappedKey, context: string): Promise<Buffer> {
    // Decrypt always goes to the configured key: a blob cannot steer the service to another key.
    if (!wrapped.keyId.startsWith(this.versionPrefix)) {
      throw new CryptoError(
        CryptoErrorCode.DecryptFailed,
        `The value was encrypted with another key (id ${printableKeyId(wrapped.keyId)}); ` +
          `the Cloud KMS key in use is ${this.keyName}`,
      );
    }
    const res = await this.client.call('decrypt', {
      ciphertext: wrapped.wrappedKey.toString('base64'),
      additionalAuthenticatedData: Buffer.from(context, 'utf8').toString('base64'),
    });
    const dek = typeof res.plaintext === 'string' ? Buffer.from(res.plaintext, 'base64') : undefined;
    if (!dek || dek.length !== DATA_KEY_BYTES) {
      dek?.fill(0);
      throw new CryptoError(
        CryptoErrorCode.DecryptFailed,
        'Cloud KMS returned an unexpected decrypt response',
      );
    }
    return dek;
  }
}

function isEnvelope(blob: Buffer): boolean {
  try {
    decodeEnvelope(blob);
    return true;
  } catch {
    return false;
  }
}
