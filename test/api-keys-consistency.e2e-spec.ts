import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';

interface AuditRow {
  action: string;
  status: string;
  resource_id: string;
  details: unknown;
  error_message: string;
}

/**
 * The key routes agree with one another: a creation refuses an org that is not ACTIVE as a rotation
 * or a regeneration does.
 */
describe('org API key routes, consistent with one another', () => {
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp({
      RATE_LIMIT_ADMIN_PER_MINUTE: '10000',
      RATE_LIMIT_WRITES_PER_MINUTE: '10000',
      RATE_LIMIT_READS_PER_MINUTE: '10000',
    });
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
});
