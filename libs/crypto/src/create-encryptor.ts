import type { AuthClient } from 'google-auth-library';
import type { Encryptor } from './encryptor.port.js';
import { KmsEncryptor } from './kms-encryptor.js';
import { LocalKeyEncryptor } from './local-key-encryptor.js';
import type { LocalKeyFileHooks } from './local-key-file.js';

export interface CreateEncryptorOptions {
  /** Set in production: data keys are then wrapped by this Cloud KMS key. */
  kmsKeyName?: string;
  /** The local key file used when no KMS key is configured (created on first use). */
  localKeyFile: string;
  /** What happens around a missing local key file (see LocalKeyFileHooks). */
  localKeyHooks?: LocalKeyFileHooks;
  kmsApiEndpoint?: string;
  /** Explicit credentials for KMS (tests, emulators); default Application Default Credentials. */
  kmsAuthClient?: AuthClient;
}

/** Cloud KMS when a key name is configured, otherwise the local key file (the embedded default). */
export async function createEncryptor(options: CreateEncryptorOptions): Promise<Encryptor> {
  const keyName = options.kmsKeyName?.trim();
  if (keyName) {
    return new KmsEncryptor({
      keyName,
      ...(options.kmsApiEndpoint ? { apiEndpoint: options.kmsApiEndpoint } : {}),
      ...(options.kmsAuthClient ? { authClient: options.kmsAuthClient } : {}),
    });
  }
  return LocalKeyEncryptor.open(options.localKeyFile, options.localKeyHooks);
}
