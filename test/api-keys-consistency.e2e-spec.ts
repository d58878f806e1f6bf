import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp, NO_RATE_LIMITS, sha256 } from '#test/test-app';

interface AuditRow {
  action: string;
  status: string;
  resource_id: string;
  details: unknown;
  error_message: string;
}

/**
 * The key routes agree with one another: a creation refuses an org that is not ACTIVE as a rotation
 * or a regeneration does; a revocation takes a hash in either case; and a second revocation of one
 * key is not recorded as another one; and a retiring key's caller learns when its own key stops.
 */
describe('org API key routes, consistent with one another', () => {
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp(NO_RATE_LIMITS);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const problem = (res: { statusCode: number; json: () => { code?: string } }) => ({
    status: res.statusCode,
    code: res.json().code,
  });
  const auditLog = async (org: string): Promise<AuditRow[]> =>
    (await inject({ method: 'GET', url: `/api/v1/admin/audit-logs/${org}`, headers: rootHeaders })).json()
      .logs;

  const revoke = (hash: string) =>
    inject({ method: 'DELETE', url: `/api/v1/admin/api-keys/${hash}`, headers: rootHeaders });
  const probe = (org: string, key: string) =>
    inject({ method: 'GET', url: `/api/v1/organizations/${org}/api-key`, headers: { 'x-api-key': key } });

  it('refuses to create a key for a suspended org as regenerate and rotate do, storing nothing', async () => {
    const k = await anOrgWithKey(warehouse, { status: 'SUSPENDED', isActive: false });
    const created = await inject({
      method: 'POST',
      url: '/api/v1/admin/api-keys',
      headers: rootHeaders,
      payload: { org_slug: k.org },
    });
    const regenerated = await inject({
      method: 'POST',
      url: `/api/v1/admin/organizations/${k.org}/regenerate-api-key`,
      headers: rootHeaders,
    });
    const rotated = await inject({
      method: 'POST',
      url: `/api/v1/organizations/${k.org}/api-key/rotate`,
      headers: rootHeaders,
    });
    expect(problem(created)).toEqual({ status: 400, code: 'ORG_NOT_ACTIVE' });
    expect(problem(regenerated)).toEqual(problem(created));
    expect(problem(rotated)).toEqual(problem(created));
    const rows = await warehouse.query(
      `SELECT org_api_key_id FROM \`organizations.org_api_keys\` WHERE org_slug = @org`,
      { org: k.org },
    );
    expect(rows).toHaveLength(1); // the revoked key the org was made with, nothing more
    // Each refusal is a failed change of the org's keys, recorded as the others are.
    const logs = await auditLog(k.org);
    expect(logs.map((l) => `${l.action} ${l.status}`).sort()).toEqual([
      'CREATE FAILURE',
      'ROTATE FAILURE',
      'ROTATE FAILURE',
    ]);
    expect(logs.every((l) => l.error_message.startsWith('ORG_NOT_ACTIVE'))).toBe(true);
  });

  it('revokes by a hash sent in upper case, answering and recording the stored (lower-case) hash', async () => {
    const k = await anOrgWithKey(warehouse);
    const hash = sha256(k.key);
    const res = await revoke(hash.toUpperCase());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ org_api_key_hash: hash, message: 'API key revoked successfully' });
    expect((await probe(k.org, k.key)).statusCode).toBe(401);
    expect((await auditLog(k.org))[0]).toMatchObject({ action: 'DELETE', resource_id: hash.slice(0, 16) });
    // Still 422 for what is not a SHA-256 hex digest, in any case.
    const bad = await revoke(`${hash.slice(0, 63).toUpperCase()}G`);
    expect(problem(bad)).toEqual({ status: 422, code: 'VALIDATION_FAILED' });
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(['hash']);
  });

  it('answers a second revocation as the first, and records it as revoking nothing', async () => {
    const k = await anOrgWithKey(warehouse);
    const hash = sha256(k.key);
    const first = await revoke(hash);
    const second = await revoke(hash);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    const logs = await auditLog(k.org);
    expect(logs.map((l) => [l.action, l.status, l.details])).toEqual([
      ['DELETE', 'SUCCESS', { already_revoked: true }],
      ['DELETE', 'SUCCESS', { already_revoked: false }],
    ]);
  });

  it("shows a retiring key's caller when its own key stops working, beside the new key's info", async () => {
    const k = await anOrgWithKey(warehouse);
    const rotated = await inject({
      method: 'POST',
      url: `/api/v1/organizations/${k.org}/api-key/rotate`,
      headers: { 'x-api-key': k.key },
      payload: { grace_period_seconds: 600 },
    });
    expect(rotated.statusCode).toBe(200);
    const { api_key: newKey, previous_keys_expire_at: expireAt } = rotated.json();
    const asRetiring = await probe(k.org, k.key);
    expect(asRetiring.statusCode).toBe(200);
    expect(asRetiring.json()).toMatchObject({
      api_key_fingerprint: newKey.slice(-4),
      expires_at: null,
      caller_key_expires_at: expireAt,
    });
    expect((await probe(k.org, newKey)).json().caller_key_expires_at).toBeNull();
    const asRoot = await inject({
      method: 'GET',
      url: `/api/v1/organizations/${k.org}/api-key`,
      headers: rootHeaders,
    });
    expect(asRoot.json().caller_key_expires_at).toBeNull();
  });
});
