import { OAuth2Client } from 'google-auth-library';
import { KmsEncryptor } from '#crypto';
import { ConfigValidationError } from '#platform';
import { FAKE_KMS_TOKEN, startFakeKms } from '#test/fake-kms-server';
import { checkKeyAtStart } from './engines.module.js';

// The check a production start makes of its Cloud KMS key. Production refuses an emulator endpoint
// (KMS_API_ENDPOINT), so the check is run here on an encryptor of the fake KMS directly.
describe("a production start's check of its KMS key", () => {
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: FAKE_KMS_TOKEN, expiry_date: Date.now() + 3_600_000 });

  it('passes with a key that wraps, and names KMS_KEY_NAME when the key does not answer', async () => {
    const fake = await startFakeKms();
    try {
      const working = new KmsEncryptor({ keyName: fake.keyName, apiEndpoint: fake.url, authClient });
      await expect(checkKeyAtStart(working, fake.keyName)).resolves.toBeUndefined();
      fake.failNext(403, 2);
      const check = checkKeyAtStart(working, fake.keyName);
      await expect(check).rejects.toBeInstanceOf(ConfigValidationError);
      await expect(check).rejects.toThrow(
        /KMS_KEY_NAME: the encryption key projects\/test-project\/.* is not usable/,
      );
    } finally {
      await fake.close();
    }
    const unreachable = new KmsEncryptor({
      keyName: 'projects/p/locations/global/keyRings/r/cryptoKeys/k',
      // Nothing listens on the discard port.
      apiEndpoint: 'http://127.0.0.1:9',
      authClient,
      retryDelayMs: 5,
    });
    await expect(checkKeyAtStart(unreachable, unreachable.keyName)).rejects.toThrow(
      /KMS_KEY_NAME: the encryption key projects\/p\/.* is not usable/,
    );
  });
});
