import { anOrgSlug, anOrgWithKey } from '#test/org-factory';
import { apiKeysApp } from '#test/api-keys-suite';
import { expectProblem } from '#test/org-onboarding';
import { rootHeaders } from '#test/test-app';

describe('org API keys over the real app', () => {
  const suite = apiKeysApp();
  const { inject, issued, logs, probe, rotate, anOrgWithoutKey } = suite;

  describe('rotate', () => {
    it('with the org key: the new key works and the old one is refused at once', async () => {
      const k = await anOrgWithKey(suite.warehouse);
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
      const k = await anOrgWithKey(suite.warehouse);
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
      const k = await anOrgWithKey(suite.warehouse);
      const first = await rotate(k.org, { 'x-api-key': k.key }, { grace_period_seconds: 600 });
      expect(first.statusCode).toBe(200);
      const again = await rotate(k.org, { 'x-api-key': k.key });
      expectProblem(again, 403, 'API_KEY_RETIRING');
      expect((await probe(k.org, first.json().api_key)).statusCode).toBe(200);
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
    });

    /** Rotates while the UPDATE that retires the old keys fails: after it ran (`applied`), or instead of it. */
    const rotateWhileRetirementFails = async (k: { org: string; key: string }, applied: boolean) => {
      const execute = suite.warehouse.execute.bind(suite.warehouse);
      const spy = vi.spyOn(suite.warehouse, 'execute').mockImplementation(async (sql, params, options) => {
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
      const k = await anOrgWithKey(suite.warehouse);
      const res = await rotateWhileRetirementFails(k, true);
      expect(res.statusCode).toBe(200);
      expect((await probe(k.org, res.json().api_key)).statusCode).toBe(200);
      expectProblem(await probe(k.org, k.key), 401, 'API_KEY_INVALID');
    });

    it('takes the new key back when retiring the old ones failed and did not apply', async () => {
      const k = await anOrgWithKey(suite.warehouse);
      const res = await rotateWhileRetirementFails(k, false);
      expect(res.statusCode).toBe(500);
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
      const keys = await suite.warehouse.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM \`organizations.org_api_keys\` WHERE org_slug = @org AND is_active = TRUE`,
        { org: k.org },
      );
      expect(Number(keys[0]?.n)).toBe(1);
    });

    it("refuses another org's key with 403 and changes nothing", async () => {
      const a = await anOrgWithKey(suite.warehouse);
      const b = await anOrgWithKey(suite.warehouse);
      const res = await rotate(b.org, { 'x-api-key': a.key });
      expectProblem(res, 403, 'ORG_FORBIDDEN');
      expect((await probe(b.org, b.key)).statusCode).toBe(200);
    });

    it('refuses a key without org:write (403) and keeps it working', async () => {
      const k = await anOrgWithKey(suite.warehouse, { scopes: ['org:read'] });
      const res = await rotate(k.org, { 'x-api-key': k.key });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE', missing_scopes: ['org:write'] });
      expect((await probe(k.org, k.key)).statusCode).toBe(200);
    });

    it('with the root key: 404 for an unknown org, 400 for a suspended one, 422 for a bad body', async () => {
      const missing = await rotate(anOrgSlug(), rootHeaders);
      expectProblem(missing, 404, 'ORG_NOT_FOUND');
      const suspended = await anOrgWithKey(suite.warehouse, { status: 'SUSPENDED' });
      const inactive = await rotate(suspended.org, rootHeaders);
      expectProblem(inactive, 400, 'ORG_NOT_ACTIVE');
      const k = await anOrgWithKey(suite.warehouse);
      const bad = await rotate(k.org, rootHeaders, { grace_period_seconds: 86_401, revoke: true });
      expect(bad.statusCode).toBe(422);
      expect(new Set(bad.json().errors.map((e: { field: string }) => e.field))).toEqual(
        new Set(['grace_period_seconds', 'revoke']),
      );
    });

    it('takes a null grace period as the default 0, and records it so in the audit log', async () => {
      const k = await anOrgWithKey(suite.warehouse);
      const res = await rotate(k.org, rootHeaders, { grace_period_seconds: null });
      expect(res.json()).toMatchObject({ previous_key_revoked: true, previous_keys_expire_at: null });
      expectProblem(await probe(k.org, k.key), 401, 'API_KEY_INVALID');
      const audit = await inject({
        method: 'GET',
        url: `/api/v1/admin/audit-logs/${k.org}?limit=1`,
        headers: rootHeaders,
      });
      expect(audit.json().logs[0]).toMatchObject({
        action: 'ROTATE',
        status: 'SUCCESS',
        details: { grace_period_seconds: 0, previous_expire_at: null },
      });
    });

    it('keeps the scopes of the key it replaces', async () => {
      const k = await anOrgWithKey(suite.warehouse, { scopes: ['org:read', 'org:write'] });
      const res = await rotate(k.org, { 'x-api-key': k.key });
      const info = await probe(k.org, res.json().api_key);
      expect(info.json().scopes).toEqual(['org:read', 'org:write']);
    });

    it('gives the new key the scopes of the calling key, not those of a newer key with more', async () => {
      // Two permanent keys (a re-sync issues one next to a key it cannot show): the narrower,
      // older one rotating got the newest one's scopes, every scope.
      const narrow = await anOrgWithKey(suite.warehouse, { scopes: ['org:read', 'org:write'] });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const wide = await anOrgWithKey(suite.warehouse, { org: narrow.org });
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
      const expired = await anOrgWithKey(suite.warehouse, { expiresAt: new Date(Date.now() - 60_000) });
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

  it('never writes a plaintext key to the logs', () => {
    expect(issued.length).toBeGreaterThanOrEqual(7);
    // The rotations were logged (one access line each), so the check below looks at real output.
    expect(logs.text).toContain('/api/v1/organizations/:org/api-key/rotate');
    for (const key of issued) expect(logs.text).not.toContain(key);
  });
});
