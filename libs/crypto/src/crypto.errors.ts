import { DomainError } from '#platform';

export enum CryptoErrorCode {
  DecryptFailed = 'CRYPTO_DECRYPT_FAILED',
  KeyUnavailable = 'CRYPTO_KEY_UNAVAILABLE',
  EncryptFailed = 'CRYPTO_ENCRYPT_FAILED',
}

/**
 * Messages name what failed (a key id, a file path, an HTTP status) and never carry plaintext, key
 * material, ciphertext or a key service's response body, since they end up in logs and responses.
 */
export class CryptoError extends DomainError<CryptoErrorCode> {}

/** For the app's error catalog: a client learns only that stored secrets are unusable right now. */
export const CRYPTO_ERRORS: Record<CryptoErrorCode, { status: number; title: string }> = {
  [CryptoErrorCode.DecryptFailed]: { status: 500, title: 'Internal server error' },
  [CryptoErrorCode.KeyUnavailable]: { status: 503, title: 'The encryption key is unavailable' },
  [CryptoErrorCode.EncryptFailed]: { status: 500, title: 'Internal server error' },
};
