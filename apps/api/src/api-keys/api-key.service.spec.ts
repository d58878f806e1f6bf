import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CryptoError, CryptoErrorCode, type Encryptor, LocalKeyEncryptor } from '#crypto';
import type { ApiKeyCache } from '#platform';
import { CENTRAL_DATASET, central, DuckDbWarehouse, SchemaRegistry } from '#warehouse';
import { OrgApiKeyRepository } from './api-key.repository.js';
import { ApiKeyService } from './api-key.service.js';
import { ApiKeyErrorCode } from './api-keys.errors.js';
import { OrgErrorCode } from '../common/org-errors.js';

interface KeyRow {
  org_api_key_hash: string;
  encrypted_org_api_key: Buffer | null;
  key_fingerprint: string | null;
  scopes: string[];
  is_active: boolean;
  expires_at: Date | null;
  revoked_at: Date | null;
  [k: string]: unknown;
}

describe('ApiKeyService', () => {
  let warehouse: DuckDbWarehouse;
  let encryptor: LocalKeyEncryptor;
  let dir: string;
  const invalidated: string[] = [];
  const cache = {
    invalidateOrg: async (org: string) => void invalidated.push(`org:${org}`),
    invalidateHash: async (hash: string) => void invalidated.push(`hash:${hash}`),
  } as unknown as ApiKeyCache; // only the two invalidation methods are used by the service
  let orgCounter = 0;

  const service = (enc: Encryptor = encryptor) =>
    new ApiKeyService(new OrgApiKeyRepository(warehouse), enc, cache);
  const rows = (org: string) =>
    warehouse.query<KeyRow>(
      `SELECT * FROM ${central('org_api_keys')} WHERE org_slug = @org ORDER BY created_at`,
      {
        org,
      },
    );
  const anOrg = async (status = 'ACTIVE') => {
    const org = `svc_org_${++orgCounter}`;
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_profiles' }, [
      {
        org_slug: org,
        company_name: org,
        admin_email: `a@${org}.example`,
        org_dataset_id: `${org}_local`,
        status,
        subscription_plan: 'STARTER',
        created_at: new Date(),
      },
    ]);
    return org;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-key-spec-'));
    encryptor = await LocalKeyEncryptor.open(path.join(dir, 'encryption.key'));
    warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    await warehouse.ensureDataset(CENTRAL_DATASET);
    for (const table of SchemaRegistry.load().centralTables())
      if (table.name === 'org_api_keys' || table.name === 'org_profiles')
        await warehouse.ensureTable(CENTRAL_DATASET, table);
  });
  afterAll(async () => {
    await warehouse.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores the SHA-256 of the key and its fingerprint, never the plaintext', async () => {
    const org = await anOrg();
    const issued = await service().issue(org);
    const [row] = await rows(org);
    expect(row!.org_api_key_hash).toBe(createHash('sha256').update(issued.apiKey).digest('hex'));
    expect(row!.key_fingerprint).toBe(issued.apiKey.slice(-4));
    expect(issued.fingerprint).toBe(issued.apiKey.slice(-4));
    expect(row!.scopes).toEqual([
      'pipelines:read',
      'pipelines:write',
      'pipelines:execute',
      'org:read',
      'org:write',
    ]);
    expect(row!.encrypted_org_api_key!.includes(Buffer.from(issued.apiKey))).toBe(false);
  });

  it("keeps an encrypted copy that decrypts only with its own org's context", async () => {
    const org = await anOrg();
    const issued = await service().issue(org);
    const [row] = await rows(org);
    const blob = row!.encrypted_org_api_key!;
    expect((await encryptor.decrypt(blob, `org_api_key:${org}`)).toString()).toBe(issued.apiKey);
    await expect(encryptor.decrypt(blob, 'org_api_key:someone_else')).rejects.toMatchObject({
      code: CryptoErrorCode.DecryptFailed,
    });
    expect(await service().revealActive(org)).toBe(issued.apiKey);
  });

  it('stores nothing when encryption fails', async () => {
    const org = await anOrg();
    const failing: Encryptor = {
      kind: 'kms',
      encrypt: async () => {
        throw new CryptoError(CryptoErrorCode.KeyUnavailable, 'KMS unavailable');
      },
      decrypt: async () => Buffer.alloc(0),
      ping: async () => undefined,
    };
    await expect(service(failing).issue(org)).rejects.toMatchObject({ code: CryptoErrorCode.KeyUnavailable });
    await expect(service(failing).rotate(org)).rejects.toMatchObject({
      code: CryptoErrorCode.KeyUnavailable,
    });
    expect(await rows(org)).toEqual([]);
  });

  it('refuses unknown scopes', async () => {
    const org = await anOrg();
    await expect(service().issue(org, { scopes: ['org:read', 'root'] })).rejects.toMatchObject({
      code: ApiKeyErrorCode.InvalidScope,
    });
  });

  it('rotates without grace: the old key is revoked, the cache of the org cleared', async () => {
    const org = await anOrg();
    const first = await service().issue(org);
    invalidated.length = 0;
    const second = await service().rotate(org);
    expect(second.previousKeysExpireAt).toBeNull();
    const [old, current] = await rows(org);
    expect(old).toMatchObject({ is_active: false, revoked_at: expect.any(Date), expires_at: null });
    expect(current).toMatchObject({ is_active: true, revoked_at: null });
    expect(invalidated).toEqual([`org:${org}`]);
    expect((await service().activeKey(org))!.keyId).toBe(second.keyId);
    expect(second.keyId).not.toBe(first.keyId);
  });

  it('rotates with grace: old keys expire then, and a second grace never extends the first', async () => {
    const org = await anOrg();
    await service().issue(org);
    const r1 = await service().rotate(org, 60);
    expect(r1.previousKeysExpireAt!.getTime() - r1.createdAt.getTime()).toBeGreaterThanOrEqual(59_000);
    await service().rotate(org, 3600);
    const [first, second, third] = await rows(org);
    expect(first!.is_active).toBe(true);
    expect(first!.expires_at!.getTime()).toBe(r1.previousKeysExpireAt!.getTime());
    expect(second!.expires_at!.getTime()).toBeGreaterThan(Date.now() + 3000_000);
    expect(third!.expires_at).toBeNull();
  });

  it('takes the new key back when the old ones cannot be retired, so the rotation fails whole', async () => {
    const org = await anOrg();
    const first = await service().issue(org);
    class FailingRetire extends OrgApiKeyRepository {
      override async revokeActive(o: string, now: Date, keepId: string | null = null): Promise<number> {
        if (keepId) throw new Error('warehouse unavailable');
        return super.revokeActive(o, now, keepId);
      }
    }
    const failing = new ApiKeyService(new FailingRetire(warehouse), encryptor, cache);
    await expect(failing.rotate(org)).rejects.toThrow('warehouse unavailable');
    const all = await rows(org);
    expect(all.map((r) => r.is_active)).toEqual([true, false]);
    expect((await service().activeKey(org))!.keyId).toBe(first.keyId);
  });

  it('answers the new key when retiring the old ones failed and could not be read back', async () => {
    const org = await anOrg();
    await service().issue(org);
    let lost = false; // the UPDATE applied, then its answer and the read-back were lost
    class LostRetire extends OrgApiKeyRepository {
      override async revokeActive(o: string, now: Date, keepId: string | null = null): Promise<number> {
        await super.revokeActive(o, now, keepId);
        lost = keepId !== null;
        if (lost) throw new Error('connection reset');
        return 0;
      }
      override async activeKeys(o: string, at: Date, limit?: number) {
        if (lost) throw new Error('warehouse unavailable');
        return super.activeKeys(o, at, limit);
      }
    }
    const shaky = new ApiKeyService(new LostRetire(warehouse), encryptor, cache);

    const rotated = await shaky.rotate(org);
    expect(rotated.previousKeysRetired).toBe('unknown');
    expect((await service().activeKey(org))!.keyId).toBe(rotated.keyId);
    lost = false;
    await expect(shaky.regenerate(org)).rejects.toThrow('connection reset');
  });

  it('refuses to rotate for an unknown or inactive org', async () => {
    await expect(service().rotate('no_such_org')).rejects.toMatchObject({
      code: OrgErrorCode.NotFound,
    });
    const suspended = await anOrg('SUSPENDED');
    await expect(service().rotate(suspended)).rejects.toMatchObject({ code: OrgErrorCode.NotActive });
  });

  it('revokes by hash, counts and deletes', async () => {
    const org = await anOrg();
    const a = await service().issue(org);
    await service().issue(org);
    const hash = createHash('sha256').update(a.apiKey).digest('hex');
    expect(await service().revokeByHash(hash)).toEqual({ orgSlug: org, revoked: true });
    expect(await service().revokeByHash(hash)).toEqual({ orgSlug: org, revoked: false });
    expect(await service().revokeByHash('0'.repeat(64))).toBeNull();
    expect(await service().revokeAll(org)).toBe(1);
    expect(await service().activeKey(org)).toBeNull();
    expect(await service().revealActive(org)).toBeNull();
    expect(await service().countKeys(org)).toBe(2);
    expect(await service().deleteAll(org)).toBe(2);
    expect(await service().countKeys(org)).toBe(0);
  });
});
