import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { FAKE_KMS_TOKEN, startFakeKms } from '#test/fake-kms-server';
import { createEncryptor } from './create-encryptor.js';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';
import { KmsEncryptor } from './kms-encryptor.js';
import { LocalKeyEncryptor } from './local-key-encryptor.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'create-encryptor-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createEncryptor', () => {
  it('uses the local key file when no KMS key is configured', async () => {
    const file = path.join(dir, 'kek.key');
    const encryptor = await createEncryptor({ localKeyFile: file });
    expect(encryptor).toBeInstanceOf(LocalKeyEncryptor);
    expect(encryptor.kind).toBe('local');
    expect((await stat(file)).isFile()).toBe(true);
  });

  it('treats a blank KMS key name as not configured', async () => {
    const encryptor = await createEncryptor({ kmsKeyName: '  ', localKeyFile: path.join(dir, 'kek.key') });
    expect(encryptor.kind).toBe('local');
  });

  it('uses Cloud KMS when a key name is given, without touching the local key file', async () => {
    const fake = await startFakeKms();
    try {
      const auth = new OAuth2Client();
      auth.setCredentials({ access_token: FAKE_KMS_TOKEN, expiry_date: Date.now() + 3_600_000 });
      const file = path.join(dir, 'kek.key');
      const encryptor = await createEncryptor({
        kmsKeyName: fake.keyName,
        localKeyFile: file,
        kmsApiEndpoint: fake.url,
        kmsAuthClient: auth,
      });
      expect(encryptor).toBeInstanceOf(KmsEncryptor);
      expect((encryptor as KmsEncryptor).keyName).toBe(fake.keyName);
      const blob = await encryptor.encrypt('secret', 'credential:acme:aws');
      expect((await encryptor.decrypt(blob, 'credential:acme:aws')).toString()).toBe('secret');
      expect(fake.requests.map((r) => r.path)).toEqual([
        `/v1/${fake.keyName}:encrypt`,
        `/v1/${fake.keyName}:decrypt`,
      ]);
      await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await fake.close();
    }
  });

  it('rejects a malformed KMS key name with KeyUnavailable', async () => {
    const err: unknown = await createEncryptor({
      kmsKeyName: 'my-key',
      localKeyFile: path.join(dir, 'kek.key'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe(CryptoErrorCode.KeyUnavailable);
    expect((err as CryptoError).message).toContain('Invalid Cloud KMS key name "my-key"');
  });
});
