import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import { FAKE_KMS_TOKEN, startFakeKms, type FakeKms } from '#test/fake-kms-server';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';
import { decodeEnvelope } from './envelope.js';
import { KmsEncryptor, type KmsEncryptorOptions } from './kms-encryptor.js';
import { LocalKeyEncryptor } from './local-key-encryptor.js';

const SECRET = 'sk-live-RECOGNISABLE-SECRET-4242';
const CONTEXT = 'credential:acme:gcp';

function tokenClient(token = FAKE_KMS_TOKEN): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}

let fake: FakeKms;
let kms: KmsEncryptor;

function encryptorFor(overrides: Partial<KmsEncryptorOptions> = {}): KmsEncryptor {
  return new KmsEncryptor({
    keyName: fake.keyName,
    apiEndpoint: fake.url,
    authClient: tokenClient(),
    retryDelayMs: 5,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<CryptoError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CryptoError)) throw new Error(`expected a CryptoError, got ${String(err)}`);
  return err;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

beforeEach(async () => {
  fake = await startFakeKms();
  kms = encryptorFor();
});
afterEach(async () => {
  await fake.close();
});

describe('KmsEncryptor against a KMS REST server', () => {
  it('round-trips a secret and records the wrapping key version in the blob', async () => {
    const blob = await kms.encrypt(SECRET, CONTEXT);
    expect(kms.kind).toBe('kms');
    expect(decodeEnvelope(blob)).toMatchObject({ kind: 'kms', keyId: `${fake.keyName}/cryptoKeyVersions/1` });
    expect(blob.includes(Buffer.from(SECRET))).toBe(false);
    expect((await kms.decrypt(blob, CONTEXT)).toString('utf8')).toBe(SECRET);
  });

  it('sends the data key and the context base64-encoded with the bearer token, never the secret', async () => {
    const blob = await kms.encrypt(SECRET, CONTEXT);
    await kms.decrypt(blob, CONTEXT);
    const [enc, dec] = fake.requests;
    expect(enc?.method).toBe('POST');
    expect(enc?.path).toBe(`/v1/${fake.keyName}:encrypt`);
    expect(enc?.headers.authorization).toBe(`Bearer ${FAKE_KMS_TOKEN}`);
    expect(enc?.headers['content-type']).toBe('application/json');
    expect(Object.keys(enc?.body ?? {}).sort()).toEqual(['additionalAuthenticatedData', 'plaintext']);
    expect(Buffer.from(String(enc?.body?.plaintext), 'base64')).toHaveLength(32);
    expect(enc?.body?.additionalAuthenticatedData).toBe(b64(CONTEXT));
    expect(JSON.stringify(enc?.body)).not.toContain(b64(SECRET).slice(0, 20));
    expect(dec?.path).toBe(`/v1/${fake.keyName}:decrypt`);
    expect(dec?.headers.authorization).toBe(`Bearer ${FAKE_KMS_TOKEN}`);
    expect(dec?.body).toEqual({
      ciphertext: decodeEnvelope(blob).wrappedKey.toString('base64'),
      additionalAuthenticatedData: b64(CONTEXT),
    });
  });

  it('wraps a fresh data key for every message', async () => {
    await kms.encrypt(SECRET, CONTEXT);
    await kms.encrypt(SECRET, CONTEXT);
    const keys = fake.requests.map((r) => r.body?.plaintext);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('fails with DecryptFailed when the context differs (KMS refuses the AAD)', async () => {
    const blob = await kms.encrypt(SECRET, 'credential:acme:gcp');
    const err = await failure(kms.decrypt(blob, 'credential:globex:gcp'));
    expect(err.code).toBe(CryptoErrorCode.DecryptFailed);
    expect(err.message).toBe(
      'Cloud KMS decrypt failed (HTTP 400 INVALID_ARGUMENT): wrong context, wrong key or altered ciphertext',
    );
    expect(fake.requests.at(-1)?.body?.additionalAuthenticatedData).toBe(b64('credential:globex:gcp'));
  });

  it('fails when the wrapped key, IV, tag or ciphertext is altered', async () => {
    const blob = await kms.encrypt(SECRET, CONTEXT);
    const env = decodeEnvelope(blob);
    const ivAt = env.header.length;
    for (const index of [env.header.length - 5, ivAt, ivAt + 12, ivAt + 28, blob.length - 1, 0, 1, 4]) {
      const altered = Buffer.from(blob);
      altered[index] = (altered[index] as number) ^ 0x01;
      expect((await failure(kms.decrypt(altered, CONTEXT))).code, `byte ${index}`).toBe(
        CryptoErrorCode.DecryptFailed,
      );
    }
  });

  it('decrypts the plain Cloud KMS ciphertext the replaced system stored, through the same key only', async () => {
    const res = await fetch(`${fake.url}/v1/${fake.keyName}:encrypt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FAKE_KMS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plaintext: b64(SECRET) }),
    });
    const legacy = Buffer.from(((await res.json()) as { ciphertext: string }).ciphertext, 'base64');
    expect(() => decodeEnvelope(legacy)).toThrow();
    expect((await kms.decrypt(legacy, CONTEXT)).toString('utf8')).toBe(SECRET);
    const altered = Buffer.from(legacy);
    altered[altered.length - 1] = (altered[altered.length - 1] as number) ^ 0x01;
    expect((await failure(kms.decrypt(altered, CONTEXT))).code).toBe(CryptoErrorCode.DecryptFailed);
    const other = await startFakeKms({ keyName: 'projects/p/locations/l/keyRings/r/cryptoKeys/other' });
    try {
      const elsewhere = encryptorFor({ keyName: other.keyName, apiEndpoint: other.url });
      expect((await failure(elsewhere.decrypt(legacy, CONTEXT))).code).toBe(CryptoErrorCode.DecryptFailed);
    } finally {
      await other.close();
    }
  });

  it('reports a KMS outage while reading a legacy value as KeyUnavailable, not as a bad value', async () => {
    const res = await fetch(`${fake.url}/v1/${fake.keyName}:encrypt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FAKE_KMS_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plaintext: b64(SECRET) }),
    });
    const legacy = Buffer.from(((await res.json()) as { ciphertext: string }).ciphertext, 'base64');
    fake.failNext(503, 2);
    const err = await failure(kms.decrypt(legacy, CONTEXT));
    expect(err.code).toBe(CryptoErrorCode.KeyUnavailable);
    expect(err.message).toBe('Cloud KMS decrypt failed (HTTP 503 UNAVAILABLE)');
    expect((await kms.decrypt(legacy, CONTEXT)).toString('utf8')).toBe(SECRET);
  });

  it('keeps decrypting values wrapped by an older key version after a rotation', async () => {
    const old = await kms.encrypt(SECRET, CONTEXT);
    const version2 = fake.rotate();
    const fresh = await kms.encrypt(SECRET, CONTEXT);
    expect(decodeEnvelope(fresh).keyId).toBe(version2);
    expect((await kms.decrypt(old, CONTEXT)).toString()).toBe(SECRET);
    expect((await kms.decrypt(fresh, CONTEXT)).toString()).toBe(SECRET);
  });

  it('refuses a blob wrapped by another KMS key without asking KMS', async () => {
    const other = await startFakeKms({ keyName: 'projects/p/locations/l/keyRings/r/cryptoKeys/other' });
    try {
      const blob = await encryptorFor({ keyName: other.keyName, apiEndpoint: other.url }).encrypt(
        SECRET,
        CONTEXT,
      );
      const err = await failure(kms.decrypt(blob, CONTEXT));
      expect(err.message).toBe(
        `The value was encrypted with another key (id ${other.keyName}/cryptoKeyVersions/1); ` +
          `the Cloud KMS key in use is ${fake.keyName}`,
      );
      expect(fake.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('refuses a blob sealed with a local key file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kms-local-'));
    try {
      const local = await LocalKeyEncryptor.open(path.join(dir, 'kek.key'));
      const err = await failure(kms.decrypt(await local.encrypt(SECRET, CONTEXT), CONTEXT));
      expect(err.message).toBe(
        'The value was encrypted with a local key, but this service uses a Cloud KMS key',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([503, 429])('retries once after a %i and then succeeds', async (status) => {
    fake.failNext(status);
    const blob = await kms.encrypt(SECRET, CONTEXT);
    expect(fake.requests.map((r) => r.path)).toEqual([
      `/v1/${fake.keyName}:encrypt`,
      `/v1/${fake.keyName}:encrypt`,
    ]);
    fake.failNext(503);
    expect((await kms.decrypt(blob, CONTEXT)).toString()).toBe(SECRET);
    expect(fake.requests).toHaveLength(4);
  });

  it('gives KeyUnavailable after a persistent 503, having tried exactly twice', async () => {
    fake.failNext(503, 5);
    const err = await failure(kms.encrypt(SECRET, CONTEXT));
    expect(err.code).toBe(CryptoErrorCode.KeyUnavailable);
    expect(err.message).toBe('Cloud KMS encrypt failed (HTTP 503 UNAVAILABLE)');
    expect(fake.requests).toHaveLength(2);
  });

  it.each([
    [403, 'PERMISSION_DENIED'],
    [500, 'INTERNAL'],
  ])('gives KeyUnavailable on %i without retrying', async (status, grpc) => {
    fake.failNext(status);
    const err = await failure(kms.encrypt(SECRET, CONTEXT));
    expect(err.code).toBe(CryptoErrorCode.KeyUnavailable);
    expect(err.message).toBe(`Cloud KMS encrypt failed (HTTP ${status} ${grpc})`);
    expect(fake.requests).toHaveLength(1);
  });

  it('gives EncryptFailed when KMS rejects the encrypt request as invalid', async () => {
    fake.failNext(400);
    const err = await failure(kms.encrypt(SECRET, CONTEXT));
    expect(err.code).toBe(CryptoErrorCode.EncryptFailed);
    expect(err.message).toBe('Cloud KMS encrypt failed (HTTP 400 INVALID_ARGUMENT)');
  });

  it('gives KeyUnavailable when the bearer token is refused', async () => {
    const err = await failure(
      encryptorFor({ authClient: tokenClient('wrong-token') }).encrypt(SECRET, CONTEXT),
    );
    expect(err.code).toBe(CryptoErrorCode.KeyUnavailable);
    expect(err.message).toBe('Cloud KMS encrypt failed (HTTP 401 UNAUTHENTICATED)');
  });

  it('gives KeyUnavailable when KMS does not answer within the timeout', async () => {
    fake.delayNext(2_000);
    const err = await failure(encryptorFor({ timeoutMs: 150 }).encrypt(SECRET, CONTEXT));
    expect(err.code).toBe(CryptoErrorCode.KeyUnavailable);
    expect(err.message).toBe('Cloud KMS did not answer encrypt within 150 ms');
  });

  it('gives KeyUnavailable when nothing listens at the endpoint, after one retry', async () => {
    const url = fake.url;
    await fake.close();
    const err = await failure(encryptorFor({ apiEndpoint: url }).encrypt(SECRET, CONTEXT));
    expect(err.code).toBe(CryptoErrorCode.KeyUnavailable);
    expect(err.message).toBe('Cloud KMS is unreachable (ECONNREFUSED)');
    fake = await startFakeKms();
  });

  it('keeps plaintext, data keys and KMS response bodies out of error messages', async () => {
    const blob = await kms.encrypt(SECRET, CONTEXT);
    const wrapped = decodeEnvelope(blob).wrappedKey.toString('base64');
    fake.failNext(503, 2);
    const encryptErr = await failure(kms.encrypt(SECRET, CONTEXT));
    fake.failNext(400);
    const decryptErr = await failure(kms.decrypt(blob, CONTEXT));
    const sentKey = String(fake.requests.at(-2)?.body?.plaintext);
    for (const err of [encryptErr, decryptErr]) {
      const text = `${err.message} ${String(err.cause)} ${JSON.stringify(err.extra)}`;
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('request was');
      expect(text).not.toContain(wrapped.slice(0, 16));
      expect(text).not.toContain(sentKey.slice(0, 16));
    }
  });

  it('pings with a real encrypt call and reports an unusable key as KeyUnavailable', async () => {
    await expect(kms.ping()).resolves.toBeUndefined();
    expect(fake.requests.at(-1)?.path).toBe(`/v1/${fake.keyName}:encrypt`);
    fake.failNext(400);
    expect((await failure(kms.ping())).code).toBe(CryptoErrorCode.KeyUnavailable);
  });

  it('refuses a malformed key name at construction', () => {
    expect(() => new KmsEncryptor({ keyName: 'projects/p/keyRings/r', authClient: tokenClient() })).toThrow(
      CryptoError,
    );
  });
});
