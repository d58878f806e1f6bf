import { randomUUID } from 'node:crypto';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgSlug, anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp, NO_RATE_LIMITS, sha256 } from '#test/test-app';
import { LogCapture } from '#test/log-capture';
import { OrgApiKeyRepository } from '../apps/api/src/api-keys/api-key.repository.js';

/** The status and the stable problem code together, so a failure shows both. */
const expectProblem = (
  res: { statusCode: number; json: () => { code?: string } },
  status: number,
  code: string,
) => expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });

describe('org API keys over the real app', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  const logs = new LogCapture();
  /** Every plaintext key the API handed out, to prove none reached a log line. */
  const issued: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ ...NO_RATE_LIMITS, LOG_LEVEL: 'debug' }, { logDestination: logs });
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const probe = (org: string, key: string) =>
    inject({ method: 'GET', url: `/api/v1/organizations/${org}/api-key`, headers: { 'x-api-key': key } });
  /** An active org whose only key was revoked through the API. */
  const anOrgWithoutKey = async () => {
    const k = await anOrgWithKey(warehouse);
    const revoked = await inject({
      method: 'DELETE',
      url: `/api/v1/admin/api-keys/${sha256(k.key)}`,
      headers: rootHeaders,
    });
    expect(revoked.statusCode).toBe(200);
    return k;
  };
  const rotate = async (org: string, headers: Record<string, string>, payload?: object) => {
    const res = await inject({
      method: 'POST',
      url: `/api/v1/organizations/${org}/api-key/rotate`,
      headers,
      ...(payload ? { payload } : {}),
    });
    if (res.statusCode === 200) issued.push(res.json().api_key);
    return res;
  };

  describe('rotate', () => {
    it('with the org key: the new key works and the old one is refused at once', async () => {
      const k = await anOrgWithKey(warehouse);
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
      const res = await rotate(k.org, { 'x-api-key': k.key });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({
        org_slug: k.org,
        api_key: expect.stringMatching(new RegExp(`^${k.org}_api_[A-Za-z0-9_-]{32}$`)),
        api_key_fingerprint: body.api_key.slice(-4),
        previous_key_revoked: true,
        previous_keys_expire_at: null,
        message: expect.stringContaining('no longer works'),
      });
      const old = await probe(k.org, k.key);
      expectProblem(old, 401, 'API_KEY_INVALID');
      expect((await probe(k.org, body.api_key)).statusCode).toBe(200);
    });

    it('with a grace period: the old key works until it expires, then is refused', async () => {
      const k = await anOrgWithKey(warehouse);
      const before = Date.now();
      const res = await rotate(k.org, { 'x-api-key': k.key }, { grace_period_seconds: 2 });
      expect(res.statusCode).toBe(200);
      const expireAt = Date.parse(res.json().previous_keys_expire_at);
      expect(expireAt).toBeGreaterThanOrEqual(before + 2000);
      expect(expireAt).toBeLessThan(Date.now() + 2000 + 50);
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expireAt - Date.now()) + 100));
      const old = await probe(k.org, k.key);
      expectProblem(old, 401, 'API_KEY_EXPIRED');
      expect((await probe(k.org, res.json().api_key)).statusCode).toBe(200);
    });

    it('refuses a rotation by a key in its grace period, and the new key keeps working', async () => {
      const k = await anOrgWithKey(warehouse);
      const first = await rotate(k.org, { 'x-api-key': k.key }, { grace_period_seconds: 600 });
      expect(first.statusCode).toBe(200);
      const again = await rotate(k.org, { 'x-api-key': k.key });
      expectProblem(again, 403, 'API_KEY_RETIRING');
      expect((await probe(k.org, first.json().api_key)).statusCode).toBe(200);
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
    });

    /** Rotates while the UPDATE that retires the old keys fails: after it ran (`applied`), or instead of it. */
    const rotateWhileRetirementFails = async (k: { org: string; key: string }, applied: boolean) => {
      const execute = warehouse.execute.bind(warehouse);
      const spy = vi.spyOn(warehouse, 'execute').mockImplementation(async (sql, params, options) => {
        if (!/SET is_active = FALSE, revoked_at = @now\s+WHERE org_slug = @org/.test(sql))
          return execute(sql, params, options);
        if (applied) await execute(sql, params, options);
        throw new Error('simulated warehouse timeout');
      });
      try {
        return await rotate(k.org, { 'x-api-key': k.key });
      } finally {
        spy.mockRestore();
      }
    };

    it('keeps the new key when retiring the old ones failed yet applied (a timed-out job that committed)', async () => {
      const k = await anOrgWithKey(warehouse);
      const res = await rotateWhileRetirementFails(k, true);
      expect(res.statusCode).toBe(200);
      expect((await probe(k.org, res.json().api_key)).statusCode).toBe(200);
      expectProblem(await probe(k.org, k.key), 401, 'API_KEY_INVALID');
    });

    it('takes the new key back when retiring the old ones failed and did not apply', async () => {
      const k = await anOrgWithKey(warehouse);
      const res = await rotateWhileRetirementFails(k, false);
      expect(res.statusCode).toBe(500);
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
      const keys = await warehouse.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM \`organizations.org_api_keys\` WHERE org_slug = @org AND is_active = TRUE`,
        { org: k.org },
      );
      expect(Number(keys[0]?.n)).toBe(1);
    });

    it("refuses another org's key with 403 and changes nothing", async () => {
      const a = await anOrgWithKey(warehouse);
      const b = await anOrgWithKey(warehouse);
      const res = await rotate(b.org, { 'x-api-key': a.key });
      expectProblem(res, 403, 'ORG_FORBIDDEN');
      expect((await probe(b.org, b.key)).statusCode).toBe(200);
    });

    it('refuses a key without org:write (403) and keeps it working', async () => {
      const k = await anOrgWithKey(warehouse, { scopes: ['org:read'] });
      const res = await rotate(k.org, { 'x-api-key': k.key });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE', missing_scopes: ['org:write'] });
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
    });

    it('with the root key: 404 for an unknown org, 400 for a suspended one, 422 for a bad body', async () => {
      const missing = await rotate(anOrgSlug(), rootHeaders);
      expectProblem(missing, 404, 'ORG_NOT_FOUND');
      const suspended = await anOrgWithKey(warehouse, { status: 'SUSPENDED' });
      const inactive = await rotate(suspended.org, rootHeaders);
      expectProblem(inactive, 400, 'ORG_NOT_ACTIVE');
      const k = await anOrgWithKey(warehouse);
      const bad = await rotate(k.org, rootHeaders, { grace_period_seconds: 86_401, revoke: true });
      expect(bad.statusCode).toBe(422);
      expect(new Set(bad.json().errors.map((e: { field: string }) => e.field))).toEqual(
        new Set(['grace_period_seconds', 'revoke']),
      );
    });

    it('keeps the scopes of the key it replaces', async () => {
      const k = await anOrgWithKey(warehouse, { scopes: ['org:read', 'org:write'] });
      const res = await rotate(k.org, { 'x-api-key': k.key });
      const info = await probe(k.org, res.json().api_key);
      expect(info.json().scopes).toEqual(['org:read', 'org:write']);
    });

    it('gives the new key the scopes of the calling key, not those of a newer key with more', async () => {
      // Two permanent keys (a re-sync issues one next to a key it cannot show): the narrower,
      // older one rotating got the newest one's scopes, every scope.
      const narrow = await anOrgWithKey(warehouse, { scopes: ['org:read', 'org:write'] });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const wide = await anOrgWithKey(warehouse, { org: narrow.org });
      const res = await rotate(narrow.org, { 'x-api-key': narrow.key });
      expect(res.statusCode).toBe(200);
      const info = await probe(narrow.org, res.json().api_key);
      expect(info.json().scopes).toEqual(['org:read', 'org:write']);
      const pipelineRead = await inject({
        method: 'GET',
        url: `/api/v1/pipelines/status/${narrow.org}`,
        headers: { 'x-api-key': res.json().api_key },
      });
      expectProblem(pipelineRead, 403, 'INSUFFICIENT_SCOPE');
      expectProblem(await probe(narrow.org, wide.key), 401, 'API_KEY_INVALID');
    });

    it('does not claim a previous key was revoked when the org had none (all revoked before)', async () => {
      const k = await anOrgWithoutKey();
      // A key past its expiry is no working key either.
      const expired = await anOrgWithKey(warehouse, { expiresAt: new Date(Date.now() - 60_000) });
      expect((await rotate(expired.org, rootHeaders)).json()).toMatchObject({ previous_key_revoked: false });
      for (const payload of [undefined, { grace_period_seconds: 60 }]) {
        // The second round has a key to retire, with a grace period: it is retiring, not revoked.
        const res = await rotate(k.org, rootHeaders, payload);
        expect(res.statusCode).toBe(200);
        if (!payload)
          expect(res.json()).toMatchObject({
            previous_key_revoked: false,
            previous_keys_expire_at: null,
            message: expect.stringContaining('had no active key'),
          });
        else
          expect(res.json()).toMatchObject({
            previous_key_revoked: false,
            previous_keys_expire_at: expect.any(String),
            message: expect.stringContaining('keeps working until'),
          });
      }
    });
  });

  describe('GET api-key', () => {
    it('shows the fingerprint (last 4 characters of the key), scopes and no expiry', async () => {
      const k = await anOrgWithKey(warehouse);
      const rotated = (await rotate(k.org, rootHeaders)).json();
      const res = await probe(k.org, rotated.api_key);
      expect(res.json()).toEqual({
        org_slug: k.org,
        api_key_fingerprint: rotated.api_key.slice(-4),
        is_active: true,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        scopes: ['pipelines:read', 'pipelines:write', 'pipelines:execute', 'org:read', 'org:write'],
        caller_key_expires_at: null,
        expires_at: null,
      });
    });

    it('keeps every scope for a key of the system this API replaces, and passes them on at rotation', async () => {
      const k = await anOrgWithKey(warehouse, { legacy: true });
      const res = await probe(k.org, k.key);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        api_key_fingerprint: sha256(k.key).slice(-4),
        scopes: ['pipelines:read', 'pipelines:write', 'pipelines:execute', 'org:read', 'org:write'],
      });
      const locale = await inject({
        method: 'GET',
        url: `/api/v1/organizations/${k.org}/locale`,
        headers: { 'x-api-key': k.key },
      });
      expect(locale.statusCode).toBe(200);
      const rotated = await rotate(k.org, { 'x-api-key': k.key });
      expect(rotated.statusCode).toBe(200);
      const info = (await probe(k.org, rotated.json().api_key)).json();
      expect(info.scopes).toEqual([
        'pipelines:read',
        'pipelines:write',
        'pipelines:execute',
        'org:read',
        'org:write',
      ]);
      // A key issued here with the pipeline scopes only stays that narrow.
      const narrow = await anOrgWithKey(warehouse, {
        scopes: ['pipelines:read', 'pipelines:write', 'pipelines:execute'],
      });
      expectProblem(await probe(narrow.org, narrow.key), 403, 'INSUFFICIENT_SCOPE');
    });

    it('answers 404 API_KEY_NOT_FOUND when the org has no active key', async () => {
      const k = await anOrgWithoutKey();
      const res = await inject({
        method: 'GET',
        url: `/api/v1/organizations/${k.org}/api-key`,
        headers: rootHeaders,
      });
      expectProblem(res, 404, 'API_KEY_NOT_FOUND');
    });
  });

  describe('admin', () => {
    const create = async (payload: object) => {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/admin/api-keys',
        headers: rootHeaders,
        payload,
      });
      if (res.statusCode === 200) issued.push(res.json().api_key);
      return res;
    };

    it('creates a key for an org without one, then 409 the second time', async () => {
      const k = await anOrgWithKey(warehouse, { isActive: false });
      const res = await create({ org_slug: k.org, description: 'ci', scopes: ['pipelines:read'] });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({
        api_key: expect.stringMatching(new RegExp(`^${k.org}_api_[A-Za-z0-9_-]{32}$`)),
        org_api_key_hash: sha256(body.api_key),
        org_slug: k.org,
        created_at: expect.any(String),
        description: 'ci',
        scopes: ['pipelines:read'],
      });
      const info = await probe(k.org, body.api_key);
      expect(info.statusCode).toBe(403);
      expect(info.json().code).toBe('INSUFFICIENT_SCOPE');
      const again = await create({ org_slug: k.org });
      expectProblem(again, 409, 'API_KEY_EXISTS');
    });

    it('issues exactly one key when many creations race, refusing the others with 409', async () => {
      const k = await anOrgWithKey(warehouse, { isActive: false });
      const results = await Promise.all(Array.from({ length: 8 }, () => create({ org_slug: k.org })));
      expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
      for (const r of results.filter((x) => x.statusCode !== 200)) {
        expect(r.statusCode).toBe(409);
        expect(['API_KEY_EXISTS', 'API_KEY_OPERATION_IN_PROGRESS']).toContain(r.json().code);
      }
      const active = await warehouse.query(
        `SELECT org_api_key_id FROM \`organizations.org_api_keys\` WHERE org_slug = @org AND is_active = TRUE`,
        { org: k.org },
      );
      expect(active).toHaveLength(1);
    });

    it('answers 404 for an unknown org and 422 for a bad slug or an unknown scope', async () => {
      const missing = await create({ org_slug: anOrgSlug() });
      expectProblem(missing, 404, 'ORG_NOT_FOUND');
      // Many at once for a slug with no org: the 409s of the busy lease attempted nothing, and
      // record nothing either (the next org of the slug would inherit those entries).
      const slug = anOrgSlug();
      const burst = await Promise.all(Array.from({ length: 8 }, () => create({ org_slug: slug })));
      expect(burst.map((r) => r.statusCode).filter((s) => s !== 404 && s !== 409)).toEqual([]);
      const [entries] = await warehouse.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM \`organizations.org_audit_logs\` WHERE org_slug = @org`,
        { org: slug },
      );
      expect(Number(entries.n)).toBe(0);
      const bad = await create({ org_slug: 'Bad-Slug', scopes: ['admin:all'] });
      expect(bad.statusCode).toBe(422);
      expect(new Set(bad.json().errors.map((e: { field: string }) => e.field))).toEqual(
        new Set(['org_slug', 'scopes']),
      );
    });

    it('revokes by hash: the key is refused on its next request; an unknown hash is 404', async () => {
      const k = await anOrgWithKey(warehouse);
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
      const res = await inject({
        method: 'DELETE',
        url: `/api/v1/admin/api-keys/${sha256(k.key)}`,
        headers: rootHeaders,
      });
      expect(res.json()).toEqual({
        org_api_key_hash: sha256(k.key),
        message: 'API key revoked successfully',
      });
      expect((await probe(k.org, k.key)).statusCode).toBe(401);
      const unknown = await inject({
        method: 'DELETE',
        url: `/api/v1/admin/api-keys/${sha256('nobody')}`,
        headers: rootHeaders,
      });
      expectProblem(unknown, 404, 'API_KEY_NOT_FOUND');
    });

    it('keeps a plaintext key sent in the path (instead of its hash) out of the access log', async () => {
      const k = await anOrgWithKey(warehouse);
      const before = logs.lines.length;
      const res = await inject({
        method: 'DELETE',
        url: `/api/v1/admin/api-keys/${k.key}`,
        headers: rootHeaders,
      });
      expectProblem(res, 422, 'VALIDATION_FAILED');
      const asOrg = await inject({
        method: 'GET',
        url: `/api/v1/organizations/${k.key}/locale`,
        headers: rootHeaders,
      });
      expect(asOrg.statusCode).toBe(422);
      const written = logs.lines.slice(before).join('');
      // The lines were written (the routes are named), only without the key.
      expect(written).toContain('/api/v1/admin/api-keys/:hash');
      expect(written).toContain('/api/v1/organizations/:org/locale');
      expect(written).not.toContain(k.key);
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
    });

    it('records a revocation that failed as a FAILURE entry (the key may still work, or not)', async () => {
      const k = await anOrgWithKey(warehouse);
      const revokeRow = vi
        .spyOn(t.app.get(OrgApiKeyRepository), 'revokeByHash')
        .mockRejectedValue(new Error('simulated warehouse failure'));
      try {
        const res = await inject({
          method: 'DELETE',
          url: `/api/v1/admin/api-keys/${sha256(k.key)}`,
          headers: rootHeaders,
        });
        expect(res.statusCode).toBe(500);
      } finally {
        revokeRow.mockRestore();
      }
      const [entry] = await warehouse.query<{ action: string; status: string; resource_id: string }>(
        `SELECT action, status, resource_id FROM \`organizations.org_audit_logs\` WHERE org_slug = @org`,
        { org: k.org },
      );
      expect(entry).toEqual({ action: 'DELETE', status: 'FAILURE', resource_id: sha256(k.key).slice(0, 16) });
    });

    it('refuses to revoke while a rotation of the org holds the key lease, which would mint after it', async () => {
      const k = await anOrgWithKey(warehouse);
      const db = t.app.get<TenancyDb>(TENANCY_DB);
      const lease = { p_org_slug: k.org, p_operation: 'api-key', p_holder: randomUUID() };
      await db.rpc('claim_org_lease', { ...lease, p_ttl_seconds: 60 });
      const revoke = () =>
        inject({ method: 'DELETE', url: `/api/v1/admin/api-keys/${sha256(k.key)}`, headers: rootHeaders });
      const busy = await revoke();
      expectProblem(busy, 409, 'API_KEY_OPERATION_IN_PROGRESS');
      expect(Number(busy.headers['retry-after'])).toBeGreaterThan(0);
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
      await db.rpc('release_org_lease', lease);
      expect((await revoke()).statusCode).toBe(200);
      expect((await probe(k.org, k.key)).statusCode).toBe(401);
    });

    it('regenerates: every active key is revoked and the new one works', async () => {
      const k = await anOrgWithKey(warehouse);
      const res = await inject({
        method: 'POST',
        url: `/api/v1/admin/organizations/${k.org}/regenerate-api-key`,
        headers: rootHeaders,
      });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      issued.push(body.api_key);
      expect(body).toMatchObject({
        org_slug: k.org,
        org_api_key_hash: sha256(body.api_key),
        description: 'Regenerated API key',
      });
      expect((await probe(k.org, k.key)).statusCode).toBe(401);
      expect((await probe(k.org, body.api_key)).statusCode).toBe(200);
      const missing = await inject({
        method: 'POST',
        url: `/api/v1/admin/organizations/${anOrgSlug()}/regenerate-api-key`,
        headers: rootHeaders,
      });
      expect(missing.statusCode).toBe(404);
    });

    it('reveals the active key in development; 404 when none has a stored copy', async () => {
      const k = await anOrgWithKey(warehouse);
      const none = await inject({
        method: 'GET',
        url: `/api/v1/admin/dev/api-key/${k.org}`,
        headers: rootHeaders,
      });
      expectProblem(none, 404, 'API_KEY_NOT_FOUND');
      const rotated = (await rotate(k.org, rootHeaders)).json();
      const res = await inject({
        method: 'GET',
        url: `/api/v1/admin/dev/api-key/${k.org}`,
        headers: rootHeaders,
      });
      expect(res.json()).toEqual({
        org_slug: k.org,
        api_key: rotated.api_key,
        message: 'DEV ONLY - This endpoint is disabled in production',
      });
    });
  });

  it('never writes a plaintext key to the logs', () => {
    expect(issued.length).toBeGreaterThanOrEqual(7);
    // The rotations were logged (one access line each), so the check below looks at real output.
    expect(logs.text).toContain('/api/v1/organizations/:org/api-key/rotate');
    for (const key of issued) expect(logs.text).not.toContain(key);
  });
});
