import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';
import { decodeEnvelope, ENVELOPE_VERSION } from './envelope.js';
import { LocalKeyEncryptor } from './local-key-encryptor.js';

const SECRET = 'sk-live-RECOGNISABLE-SECRET-4242';
const CONTEXT = 'credential:acme:aws';

let dir: string;
let encryptor: LocalKeyEncryptor;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'envelope-'));
  encryptor = await LocalKeyEncryptor.open(path.join(dir, 'kek.key'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function decryptError(blob: Buffer, context = CONTEXT): Promise<CryptoError> {
  const err: unknown = await encryptor.decrypt(blob, context).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CryptoError)) throw new Error(`expected a CryptoError, got ${String(err)}`);
  return err;
}

function flipped(blob: Buffer, index: number): Buffer {
  const copy = Buffer.from(blob);
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

describe('envelope encryption', () => {
  it('round-trips a string secret to the same UTF-8 bytes', async () => {
    const blob = await encryptor.encrypt(`${SECRET} – ünïcödé`, CONTEXT);
    expect((await encryptor.decrypt(blob, CONTEXT)).toString('utf8')).toBe(`${SECRET} – ünïcödé`);
  });

  it('round-trips binary data including zero bytes, and an empty value', async () => {
    const binary = Buffer.from([0, 255, 0, 1, 2, 3, 0, 128]);
    expect(await encryptor.decrypt(await encryptor.encrypt(binary, CONTEXT), CONTEXT)).toEqual(binary);
    expect(await encryptor.decrypt(await encryptor.encrypt('', CONTEXT), CONTEXT)).toEqual(Buffer.alloc(0));
  });

  it('gives a different ciphertext for every message, even for the same plaintext', async () => {
    const blobs = await Promise.all(Array.from({ length: 50 }, () => encryptor.encrypt(SECRET, CONTEXT)));
    expect(new Set(blobs.map((b) => b.toString('hex'))).size).toBe(50);
    expect(new Set(blobs.map((b) => decodeEnvelope(b).iv.toString('hex'))).size).toBe(50);
    expect(new Set(blobs.map((b) => decodeEnvelope(b).wrappedKey.toString('hex'))).size).toBe(50);
    expect(blobs.some((b) => b.includes(Buffer.from(SECRET)))).toBe(false);
  });

  it('writes the versioned layout: version, kind, key id, wrapped key, IV, tag, ciphertext', async () => {
    const blob = await encryptor.encrypt(SECRET, CONTEXT);
    expect(blob[0]).toBe(ENVELOPE_VERSION);
    expect(blob[1]).toBe(1);
    expect(blob.readUInt16BE(2)).toBe(8);
    expect(blob.subarray(4, 12).toString('utf8')).toBe(encryptor.keyId);
    expect(blob.readUInt16BE(12)).toBe(60);
    const env = decodeEnvelope(blob);
    expect(env).toMatchObject({ version: 1, kind: 'local', keyId: encryptor.keyId });
    expect([env.header.length, env.iv.length, env.tag.length]).toEqual([74, 12, 16]);
    expect(env.ciphertext.length).toBe(Buffer.byteLength(SECRET));
    expect(blob.length).toBe(74 + 12 + 16 + Buffer.byteLength(SECRET));
  });

  it('refuses a ciphertext copied to a row with another context', async () => {
    const blob = await encryptor.encrypt(SECRET, 'credential:acme:aws');
    const err = await decryptError(blob, 'credential:globex:aws');
    expect(err.code).toBe(CryptoErrorCode.DecryptFailed);
    expect(err.message).toBe('Decryption failed: wrong context, wrong key or altered ciphertext');
  });

  it('requires a context to encrypt and to decrypt', async () => {
    await expect(encryptor.encrypt(SECRET, '')).rejects.toMatchObject({
      code: CryptoErrorCode.EncryptFailed,
    });
    const blob = await encryptor.encrypt(SECRET, CONTEXT);
    expect((await decryptError(blob, '')).code).toBe(CryptoErrorCode.DecryptFailed);
  });

  describe('tampering with any byte fails', () => {
    // Region boundaries of a local blob: header 74 bytes, then IV 12, tag 16, ciphertext.
    const regions: Array<[string, number, number | undefined]> = [
      ['version byte', 0, 1],
      ['kind byte', 1, 2],
      ['key id length', 2, 4],
      ['key id', 4, 12],
      ['wrapped key length', 12, 14],
      ['wrapped key', 14, 74],
      ['IV', 74, 86],
      ['tag', 86, 102],
      ['ciphertext', 102, undefined],
    ];

    it.each(regions)('in the %s', async (_name, start, end) => {
      const blob = await encryptor.encrypt(SECRET, CONTEXT);
      const last = end ?? blob.length;
      for (let i = start; i < last; i += 1) {
        const err = await decryptError(flipped(blob, i));
        expect(err.code, `byte ${i}`).toBe(CryptoErrorCode.DecryptFailed);
        expect(err.message).not.toContain(SECRET);
      }
    });

    it('when the blob is truncated or extended', async () => {
      const blob = await encryptor.encrypt(SECRET, CONTEXT);
      for (const altered of [
        blob.subarray(0, 1),
        blob.subarray(0, 50),
        blob.subarray(0, 101),
        blob.subarray(0, blob.length - 1),
        Buffer.concat([blob, Buffer.from([0])]),
        Buffer.alloc(0),
      ]) {
        expect((await decryptError(altered)).code).toBe(CryptoErrorCode.DecryptFailed);
      }
    });

    it('names an unsupported version without echoing the data', async () => {
      const blob = await encryptor.encrypt(SECRET, CONTEXT);
      const future = Buffer.from(blob);
      future[0] = 2;
      const err = await decryptError(future);
      expect(err.message).toBe('Unsupported encrypted value format (version 2)');
    });

    it('says when a value was sealed by the other kind of key', async () => {
      const blob = await encryptor.encrypt(SECRET, CONTEXT);
      const kms = Buffer.from(blob);
      kms[1] = 2;
      expect((await decryptError(kms)).message).toBe(
        'The value was encrypted with a Cloud KMS key, but this service uses a local key',
      );
    });
  });

  it('never puts plaintext, key material or ciphertext in a decrypt error', async () => {
    const blob = await encryptor.encrypt(SECRET, CONTEXT);
    const errors = [await decryptError(blob, 'other'), await decryptError(flipped(blob, 100))];
    for (const err of errors) {
      const text = `${err.message} ${err.detail} ${String(err.cause)} ${JSON.stringify(err.extra)}`;
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(blob.toString('base64').slice(0, 16));
      expect(text).not.toContain(blob.toString('hex').slice(8, 40));
    }
  });
});
