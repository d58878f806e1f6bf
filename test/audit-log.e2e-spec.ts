import { randomUUID } from 'node:crypto';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgSlug, anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp, NO_RATE_LIMITS, sha256 } from '#test/test-app';

const SECRET_DETAIL_KEY = /key|secret|token|password|credential/i;

interface AuditLog {
  audit_id: string;
  org_slug: string;
  user_id: string | null;
  api_key_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  details: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  status: string;
  error_message: string | null;
  created_at: string;
}

describe('audit log over the real app', () => {
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp(NO_RATE_LIMITS);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const auditLogs = async (org: string, query = '') => {
    const res = await inject({
      method: 'GET',
      url: `/api/v1/admin/audit-logs/${org}${query}`,
      headers: rootHeaders,
    });
    return res;
  };
  const logsOf = async (org: string, query = ''): Promise<AuditLog[]> =>
    (await auditLogs(org, query)).json().logs;

  /** Rows with chosen timestamps, so ordering, dates and paging can be asserted exactly. */
  const seed = async (
    org: string,
    entries: { at: string; action?: string; status?: string; type?: string }[],
  ) => {
    await warehouse.insertRows(
      { dataset: CENTRAL_DATASET, table: 'org_audit_logs' },
      entries.map((e) => ({
        audit_id: randomUUID(),
        org_slug: org,
        action: e.action ?? 'UPDATE',
        resource_type: e.type ?? 'INTEGRATION',
        status: e.status ?? 'SUCCESS',
        resource_id: e.at,
        created_at: new Date(e.at),
      })),
    );
  };

  describe('entries written by key operations', () => {
    it('records no user for an X-User-ID that is not an id (markup), and still does the work', async () => {
      const k = await anOrgWithKey(warehouse);
      const res = await inject({
        method: 'POST',
        url: `/api/v1/organizations/${k.org}/api-key/rotate`,
        headers: { 'x-api-key': k.key, 'x-user-id': '<script>alert(1)</script>' },
        payload: { grace_period_seconds: 60 },
      });
      expect(res.statusCode).toBe(200);
      const [entry] = await logsOf(k.org);
      expect(entry).toMatchObject({ action: 'ROTATE', user_id: null });
    });

    it('keeps no key sent in the User-Agent or as the X-User-ID', async () => {
      const k = await anOrgWithKey(warehouse);
      const res = await inject({
        method: 'POST',
        url: `/api/v1/organizations/${k.org}/api-key/rotate`,
        headers: { 'x-api-key': k.key, 'user-agent': `sync-script/2.1 (key ${k.key})`, 'x-user-id': k.key },
        // The sent key keeps working for a minute: the row would have held a live key.
        payload: { grace_period_seconds: 60 },
      });
      expect(res.statusCode).toBe(200);
      const logs = await auditLogs(k.org);
      expect(logs.body).not.toContain(k.key);
      expect(logs.json().logs[0]).toMatchObject({
        action: 'ROTATE',
        user_id: null,
        user_agent: 'sync-script/2.1 (key [REDACTED])',
      });
    });

    it('rotate with an org key records the user, the request id and the key used', async () => {
      const k = await anOrgWithKey(warehouse);
      const res = await inject({
        method: 'POST',
        url: `/api/v1/organizations/${k.org}/api-key/rotate`,
        headers: {
          'x-api-key': k.key,
          'x-user-id': ' user-7 ',
          'x-request-id': 'rotate-req-1',
          'user-agent': 'dash/2',
        },
        payload: { grace_period_seconds: 60 },
      });
      expect(res.statusCode).toBe(200);
      const [entry, ...rest] = await logsOf(k.org);
      expect(rest).toEqual([]);
      expect(entry).toEqual({
        audit_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        org_slug: k.org,
        user_id: 'user-7',
        api_key_id: k.keyId,
        action: 'ROTATE',
        resource_type: 'API_KEY',
        resource_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        details: {
          fingerprint: res.json().api_key.slice(-4),
          scopes: ['pipelines:read', 'pipelines:write', 'pipelines:execute', 'org:read', 'org:write'],
          grace_period_seconds: 60,
          previous_expire_at: res.json().previous_keys_expire_at,
        },
        ip_address: '127.0.0.1',
        user_agent: 'dash/2',
        request_id: 'rotate-req-1',
        status: 'SUCCESS',
        error_message: null,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
      });
      expect(entry!.resource_id).not.toBe(k.keyId);
    });

    it('a failed rotation is recorded as FAILURE with its reason', async () => {
      const k = await anOrgWithKey(warehouse, { status: 'SUSPENDED' });
      const res = await inject({
        method: 'POST',
        url: `/api/v1/organizations/${k.org}/api-key/rotate`,
        headers: { ...rootHeaders, 'x-request-id': 'rotate-fail-1' },
      });
      expect(res.statusCode).toBe(400);
      const logs = await logsOf(k.org);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({
        action: 'ROTATE',
        status: 'FAILURE',
        api_key_id: null,
        request_id: 'rotate-fail-1',
        error_message: expect.stringContaining('ORG_NOT_ACTIVE'),
      });
    });

    it('admin create and revoke record CREATE and DELETE (resource id = hash prefix)', async () => {
      const k = await anOrgWithKey(warehouse, { isActive: false });
      const created = await inject({
        method: 'POST',
        url: '/api/v1/admin/api-keys',
        headers: { ...rootHeaders, 'x-user-id': 'admin-1' },
        payload: { org_slug: k.org, description: 'pipeline bot' },
      });
      expect(created.statusCode).toBe(200);
      const hash = created.json().org_api_key_hash;
      const revoked = await inject({
        method: 'DELETE',
        url: `/api/v1/admin/api-keys/${hash}`,
        headers: { ...rootHeaders, 'x-request-id': 'revoke-1' },
      });
      expect(revoked.statusCode).toBe(200);
      const [del, create] = await logsOf(k.org);
      expect(create).toMatchObject({
        action: 'CREATE',
        resource_type: 'API_KEY',
        status: 'SUCCESS',
        user_id: 'admin-1',
        api_key_id: null,
        details: { description: 'pipeline bot', fingerprint: created.json().api_key.slice(-4) },
      });
      expect(del).toMatchObject({
        action: 'DELETE',
        resource_type: 'API_KEY',
        resource_id: hash.slice(0, 16),
        request_id: 'revoke-1',
        user_id: null,
      });
    });

    it('no entry carries a key or a secret-named detail', async () => {
      const k = await anOrgWithKey(warehouse);
      const keys = [k.key];
      const rotated = await inject({
        method: 'POST',
        url: `/api/v1/organizations/${k.org}/api-key/rotate`,
        headers: rootHeaders,
      });
      keys.push(rotated.json().api_key);
      const regenerated = await inject({
        method: 'POST',
        url: `/api/v1/admin/organizations/${k.org}/regenerate-api-key`,
        headers: rootHeaders,
      });
      keys.push(regenerated.json().api_key);
      await inject({ method: 'GET', url: `/api/v1/admin/dev/api-key/${k.org}`, headers: rootHeaders });
      await inject({
        method: 'DELETE',
        url: `/api/v1/admin/api-keys/${sha256(keys[2]!)}`,
        headers: rootHeaders,
      });
      const res = await auditLogs(k.org);
      expect(res.json().logs.map((l: AuditLog) => l.action)).toEqual(['DELETE', 'READ', 'ROTATE', 'ROTATE']);
      for (const key of keys) {
        expect(res.body).not.toContain(key);
        expect(res.body).not.toContain(sha256(key));
      }
      const detailKeys = res.json().logs.flatMap((l: AuditLog) => Object.keys(l.details ?? {}));
      expect(detailKeys.filter((name: string) => SECRET_DETAIL_KEY.test(name))).toEqual([]);
    });
  });

  describe('querying', () => {
    it('filters by action, resource type and status, case-insensitively', async () => {
      const org = anOrgSlug('audit');
      await seed(org, [
        { at: '2026-01-10T10:00:00Z', action: 'CREATE', type: 'API_KEY' },
        { at: '2026-01-10T11:00:00Z', action: 'UPDATE', type: 'INTEGRATION', status: 'FAILURE' },
        { at: '2026-01-10T12:00:00Z', action: 'UPDATE', type: 'API_KEY' },
      ]);
      const ids = async (q: string) => (await logsOf(org, q)).map((l) => l.resource_id);
      expect(await ids('?action=update')).toEqual(['2026-01-10T12:00:00Z', '2026-01-10T11:00:00Z']);
      expect(await ids('?resource_type=api_key&action=UPDATE')).toEqual(['2026-01-10T12:00:00Z']);
      expect(await ids('?status=failure')).toEqual(['2026-01-10T11:00:00Z']);
      // Empty filters are no filters, as a dashboard's "All" sends them.
      expect(await ids('?action=&resource_type=&status=')).toHaveLength(3);
    });

    it('filters by inclusive UTC dates', async () => {
      const org = anOrgSlug('audit');
      await seed(org, [
        { at: '2026-02-01T23:59:59Z' },
        { at: '2026-02-02T00:00:00Z' },
        { at: '2026-02-03T12:00:00Z' },
        { at: '2026-02-04T00:00:00Z' },
      ]);
      const days = async (q: string) => (await logsOf(org, q)).map((l) => l.created_at);
      expect(await days('?start_date=2026-02-02&end_date=2026-02-03')).toEqual([
        '2026-02-03T12:00:00.000Z',
        '2026-02-02T00:00:00.000Z',
      ]);
      expect(await days('?start_date=2026-02-04')).toEqual(['2026-02-04T00:00:00.000Z']);
      expect(await days('?end_date=2026-02-01')).toEqual(['2026-02-01T23:59:59.000Z']);
      expect(await days('?start_date=2026-02-03&end_date=2026-02-03')).toEqual(['2026-02-03T12:00:00.000Z']);
    });

    it('pages newest first with the real total, not the page size', async () => {
      const org = anOrgSlug('audit');
      await seed(
        org,
        Array.from({ length: 7 }, (_, i) => ({ at: `2026-03-0${i + 1}T08:00:00Z` })),
      );
      const first = (await auditLogs(org, '?limit=3')).json();
      expect(first.total_count).toBe(7);
      expect(first.has_more).toBe(true);
      expect(first.logs.map((l: AuditLog) => l.resource_id)).toEqual([
        '2026-03-07T08:00:00Z',
        '2026-03-06T08:00:00Z',
        '2026-03-05T08:00:00Z',
      ]);
      const last = (await auditLogs(org, '?limit=3&offset=6')).json();
      expect(last).toMatchObject({ org_slug: org, total_count: 7, has_more: false });
      expect(last.logs.map((l: AuditLog) => l.resource_id)).toEqual(['2026-03-01T08:00:00Z']);
      const filtered = (await auditLogs(org, '?limit=2&start_date=2026-03-04')).json();
      expect(filtered).toMatchObject({ total_count: 4, has_more: true });
      const beyond = (await auditLogs(org, '?offset=50')).json();
      expect(beyond).toMatchObject({ total_count: 7, logs: [], has_more: false });
    });

    it('answers an org without entries with an empty page', async () => {
      const res = await auditLogs(anOrgSlug('audit'));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ total_count: 0, logs: [], has_more: false });
    });

    it.each([
      ['?action=SIGNIN', ['action']],
      ['?resource_type=ORGS&status=OK', ['resource_type', 'status']],
      ['?start_date=2026-13-01', ['start_date']],
      ['?end_date=01/02/2026', ['end_date']],
      ['?start_date=2026-02-05&end_date=2026-02-04', ['end_date']],
      ['?limit=0', ['limit']],
      ['?limit=1001&offset=-1', ['limit', 'offset']],
      ['?limit=ten', ['limit']],
      // Only decimal digits: Number() would also read these.
      ['?limit=0x10&offset=1e1', ['limit', 'offset']],
      ['?limit=1000.0&offset=%205', ['limit', 'offset']],
    ])('refuses %s with 422 naming %j', async (query, fields) => {
      const res = await auditLogs('acme_corp', query);
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect([...new Set(res.json().errors.map((e: { field: string }) => e.field))].sort()).toEqual(
        [...fields].sort(),
      );
    });

    it('is root-only', async () => {
      const k = await anOrgWithKey(warehouse);
      const res = await inject({
        method: 'GET',
        url: `/api/v1/admin/audit-logs/${k.org}`,
        headers: { 'x-api-key': k.key },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('ROOT_KEY_REQUIRED');
    });
  });
});
