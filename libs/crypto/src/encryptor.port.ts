/**
 * Envelope encryption of secrets at rest (org API key copies, provider credentials).
 *
 * `context` is authenticated associated data naming the row a ciphertext belongs to, e.g.
 * `org_api_key:{org}` or `credential:{org}:{provider}`. Decrypting with any other context fails, so
 * a ciphertext copied into another org's row cannot be decrypted there.
 */
export interface Encryptor {
  readonly kind: 'local' | 'kms';
  encrypt(plaintext: Buffer | string, context: string): Promise<Buffer>;
  decrypt(ciphertext: Buffer, context: string): Promise<Buffer>;
  /** Resolves when the key-encryption key is usable; rejects with CryptoError(KeyUnavailable). */
  ping(): Promise<void>;
}

export type EncryptorKind = Encryptor['kind'];

export const ENCRYPTOR = Symbol('ENCRYPTOR');
