import { randomUUID } from 'node:crypto';
import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { anOrgSlug, anOrgWithKey } from '#test/org-factory';
import { apiKeysApp } from '#test/api-keys-suite';
import { expectProblem } from '#test/org-onboarding';
import { rootHeaders, sha256 } from '#test/test-app';
import { OrgApiKeyRepository } from '../apps/api/src/api-keys/api-key.repository.js';

describe('org API keys over the real app', () => {
  const suite = apiKeysApp();
  const { create, inject, issued, logs, probe, rotate, anOrgWithoutKey } = suite;

  describe('GET api-key', () => {
    it('shows the fingerprint (last 4 characters of the key), scopes and no expiry', async () => {
      const k = await anOrgWithKey(suite.warehouse);
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
      const k = await anOrgWithKey(suite.warehouse, { legacy: true });
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
      const narrow = await anOrgWithKey(suite.warehouse, {
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
    it('creates a key for an org without one, then 409 the second time', async () => {
      const k = await anOrgWithKey(suite.warehouse, { isActive: false });
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
      const k = await anOrgWithKey(suite.warehouse, { isActive: false });
      const results = await Promise.all(Array.from({ length: 8 }, () => create({ org_slug: k.org })));
      expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
      for (const r of results.filter((x) => x.statusCode !== 200)) {
        expect(r.statusCode).toBe(409);
        expect(['API_KEY_EXISTS', 'API_KEY_OPERATION_IN_PROGRESS']).toContain(r.json().code);
      }
      const active = await suite.warehouse.query(
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
      const [entries] = await suite.warehouse.query<{ n: number }>(
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

    it('answers 422 naming scopes for scopes: null, storing nothing (it was a 500)', async () => {
      const k = await anOrgWithKey(suite.warehouse, { isActive: false });
      const res = await create({ org_slug: k.org, scopes: null });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain('scopes');
      const active = await suite.warehouse.query(
        `SELECT org_api_key_id FROM \`organizations.org_api_keys\` WHERE org_slug = @org AND is_active = TRUE`,
        { org: k.org },
      );
      expect(active).toEqual([]);
    });

    it('revokes by hash: the key is refused on its next request; an unknown hash is 404', async () => {
      const k = await anOrgWithKey(suite.warehouse);
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
      const k = await anOrgWithKey(suite.warehouse);
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

    it('keeps a plaintext key sent in the path out of the answer too (its instance, a 404 detail)', async () => {
      const k = await anOrgWithKey(suite.warehouse);
      const refused = [
        await inject({ method: 'DELETE', url: `/api/v1/admin/api-keys/${k.key}`, headers: rootHeaders }),
        await inject({ method: 'GET', url: `/api/v1/organizations/${k.key}/locale`, headers: rootHeaders }),
        await inject({ method: 'GET', url: `/api/v1/admin/keys/${k.key}`, headers: rootHeaders }),
        await inject({ method: 'OPTIONS', url: `/api/v1/admin/keys/${k.key}` }),
      ];
      expect(refused.map((r) => r.statusCode)).toEqual([422, 422, 404, 404]);
      for (const res of refused) {
        // Still says where it happened, as the access log does, without the key.
        expect(res.json<{ instance: string }>().instance).toContain('[REDACTED]');
        expect(res.body).not.toContain(k.key);
      }
    });

    it('records a revocation that failed as a FAILURE entry (the key may still work, or not)', async () => {
      const k = await anOrgWithKey(suite.warehouse);
      const revokeRow = vi
        .spyOn(suite.t.app.get(OrgApiKeyRepository), 'revokeByHash')
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
      const [entry] = await suite.warehouse.query<{ action: string; status: string; resource_id: string }>(
        `SELECT action, status, resource_id FROM \`organizations.org_audit_logs\` WHERE org_slug = @org`,
        { org: k.org },
      );
      expect(entry).toEqual({ action: 'DELETE', status: 'FAILURE', resource_id: sha256(k.key).slice(0, 16) });
    });

    it('refuses to revoke while a rotation of the org holds the key lease, which would mint after it', async () => {
      const k = await anOrgWithKey(suite.warehouse);
      const db = suite.t.app.get<TenancyDb>(TENANCY_DB);
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
      const k = await anOrgWithKey(suite.warehouse);
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
      const k = await anOrgWithKey(suite.warehouse);
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
});
