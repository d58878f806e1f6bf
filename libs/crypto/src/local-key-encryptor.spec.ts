import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CryptoError, CryptoErrorCode } from './crypto.errors.js';
import { LocalKeyEncryptor } from './local-key-encryptor.js';

const SECRET = 'sk-live-RECOGNISABLE-SECRET-4242';
const CONTEXT = 'org_api_key:acme';
const posixOnly = process.platform === 'win32' ? it.skip : it;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'local-kek-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openError(file: string): Promise<CryptoError> {
  const err: unknown = await LocalKeyEncryptor.open(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CryptoError)) throw new Error(`expected a CryptoError, got ${String(err)}`);
  return err;
}

describe('LocalKeyEncryptor key file', () => {
  posixOnly(
    'creates a 0600 file holding 32 random bytes in base64, parent directories included',
    async () => {
      const file = path.join(dir, 'nested', 'deeper', 'kek.key');
      const encryptor = await LocalKeyEncryptor.open(file);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const text = await readFile(file, 'utf8');
      expect(text).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
      expect(Buffer.from(text.trim(), 'base64')).toHaveLength(32);
      expect(encryptor.kind).toBe('local');
      expect(encryptor.keyId).toMatch(/^[0-9a-f]{8}$/);
    },
  );

  it('reuses the key on the next open, so earlier ciphertexts still decrypt', async () => {
    const file = path.join(dir, 'kek.key');
    const first = await LocalKeyEncryptor.open(file);
    const before = await readFile(file, 'utf8');
    const blob = await first.encrypt(SECRET, CONTEXT);
    const second = await LocalKeyEncryptor.open(file);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(second.keyId).toBe(first.keyId);
    expect((await second.decrypt(blob, CONTEXT)).toString()).toBe(SECRET);
  });

  it('uses the first 8 hex chars of SHA-256 of the key as key id', async () => {
    const file = path.join(dir, 'kek.key');
    await writeFile(file, `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
    const expected = createHash('sha256').update(Buffer.alloc(32, 7)).digest('hex').slice(0, 8);
    expect((await LocalKeyEncryptor.open(file)).keyId).toBe(expected);
  });

  it('cannot decrypt what another key file encrypted, and says which key was used', async () => {
    const a = await LocalKeyEncryptor.open(path.join(dir, 'a.key'));
    const b = await LocalKeyEncryptor.open(path.join(dir, 'b.key'));
    expect(a.keyId).not.toBe(b.keyId);
    const blob = await a.encrypt(SECRET, CONTEXT);
    const err: unknown = await b.decrypt(blob, CONTEXT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe(CryptoErrorCode.DecryptFailed);
    expect((err as CryptoError).message).toBe(
      `The value was encrypted with another key (id ${a.keyId}); the local key file in use has id ${b.keyId}`,
    );
  });

  it('yields one key when several processes open a missing file at the same moment', async () => {
    const file = path.join(dir, 'race', 'kek.key');
    const opened = await Promise.all(Array.from({ length: 8 }, () => LocalKeyEncryptor.open(file)));
    expect(new Set(opened.map((e) => e.keyId)).size).toBe(1);
    const blob = await (opened[0] as LocalKeyEncryptor).encrypt(SECRET, CONTEXT);
    for (const other of opened) expect((await other.decrypt(blob, CONTEXT)).toString()).toBe(SECRET);
    expect(await readdir(path.dirname(file))).toEqual(['kek.key']);
  });

  posixOnly('refuses a world-readable key file, naming the file but not its content', async () => {
    const file = path.join(dir, 'kek.key');
    const key = randomBytes(32).toString('base64');
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    await chmod(file, 0o644);
    const err = await openError(file);
    expect(err.code).toBe(CryptoErrorCode.KeyUnavailable);
    expect(err.message).toBe(
      `Key file ${file} is accessible by group or others (mode 644); restrict it with chmod 600`,
    );
    expect(err.message).not.toContain(key);
  });

  posixOnly('refuses a group-readable key file', async () => {
    const file = path.join(dir, 'kek.key');
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    await chmod(file, 0o640);
    expect((await openError(file)).message).toContain('(mode 640)');
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['not base64', `${SECRET}${SECRET}`.slice(0, 43) + '='],
    ['empty', ''],
  ])('refuses a key file whose content is %s, without echoing it', async (_case, content) => {
    const file = path.join(dir, 'kek.key');
    await writeFile(file, content, { mode: 0o600 });
    const err = await openError(file);
    expect(err.code).toBe(CryptoErrorCode.KeyUnavailable);
    expect(err.message).toBe(`Key file ${file} does not hold a base64-encoded 32-byte key`);
    expect(err.message).not.toContain(SECRET.slice(0, 12));
    expect(await readFile(file, 'utf8')).toBe(content);
  });

  it('refuses a directory in place of the key file', async () => {
    const err = await openError(dir);
    expect(err.message).toBe(`Key file ${dir} is not a regular file`);
  });

  it('pings successfully once open', async () => {
    const encryptor = await LocalKeyEncryptor.open(path.join(dir, 'kek.key'));
    await expect(encryptor.ping()).resolves.toBeUndefined();
  });
});
