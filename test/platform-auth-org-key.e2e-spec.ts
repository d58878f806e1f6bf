import { CENTRAL_DATASET, WarehouseError, WarehouseErrorCode } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { platformApp } from '#test/platform-app';
import { rootHeaders } from '#test/test-app';

describe('platform over the real app', () => {
  const p = platformApp();
  beforeAll(() => p.start());
  afterAll(() => p.close());
  const { inject } = p;

  describe('auth', () => {
    it('org key: its own org passes, another org is 403 before any work', async () => {
      const a = await anOrgWithKey(p.warehouse);
      const b = await anOrgWithKey(p.warehouse);
      const own = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${a.org}`,
        headers: { 'x-api-key': a.key },
      });
      expect(own.statusCode).toBe(200);
      expect(own.json()).toEqual({ org: a.org, auth: 'org' });
      const other = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${b.org}`,
        headers: { 'x-api-key': a.key },
      });
      expect(other.statusCode).toBe(403);
      expect(other.json().code).toBe('ORG_FORBIDDEN');
    });

    it('org key: an authenticated key naming another org is refused before its body is read', async () => {
      const a = await anOrgWithKey(p.warehouse);
      const b = await anOrgWithKey(p.warehouse);
      const post = (url: string, payload: string, type = 'application/json') =>
        inject({ method: 'POST', url, headers: { 'x-api-key': a.key, 'content-type': type }, payload });
      // Known to this instance (the auth cache), as every key is after its first request.
      expect(
        (await inject({ method: 'GET', url: `/api/v1/probe/org/${a.org}`, headers: { 'x-api-key': a.key } }))
          .statusCode,
      ).toBe(200);
      // Another org, with a malformed body or one the route does not take: 403, not 400 or 415 for
      // a body it would never be let send.
      const other = await post(`/api/v1/validator/validate/${b.org}`, '{"pipeline_id":');
      expect([other.statusCode, other.json().code]).toEqual([403, 'ORG_FORBIDDEN']);
      const upload = await post(`/api/v1/admin/organizations/${b.org}/costs/import`, '{}');
      expect([upload.statusCode, upload.json().code]).toEqual([403, 'ORG_FORBIDDEN']);
      const typo = await post(`/api/v1/validator/validate/${a.org.toUpperCase()}`, '{');
      expect([typo.statusCode, typo.json().code]).toEqual([422, 'VALIDATION_FAILED']);
      // Its own org: the body is read, and judged.
      const own = await post(`/api/v1/validator/validate/${a.org}`, '{"pipeline_id":');
      expect([own.statusCode, own.json().code]).toEqual([400, 'MALFORMED_JSON']);
    });

    it('org key: a key this instance does not know is looked up before its body is read', async () => {
      const a = await anOrgWithKey(p.warehouse);
      const b = await anOrgWithKey(p.warehouse);
      const expired = await anOrgWithKey(p.warehouse, { expiresAt: new Date(Date.now() - 1000) });
      const post = (url: string, key: string, payload: string | Buffer, type = 'application/json') =>
        inject({ method: 'POST', url, headers: { 'x-api-key': key, 'content-type': type }, payload });
      const validate = (org: string) => `/api/v1/validator/validate/${org}`;
      const unknown = `${a.org}_api_unknownunknownunknownunknown12`;
      // Malformed JSON (400 once read), a body over the limit (413) and a media type the route does
      // not take (415): a key that is not valid is answered first, whatever its body.
      const cases: [string, string, string | Buffer, string, number, string][] = [
        [validate(a.org), unknown, '{"pipeline_id":', 'application/json', 401, 'API_KEY_INVALID'],
        [validate(a.org), unknown, 'x'.repeat(20 * 1024 * 1024), 'application/json', 401, 'API_KEY_INVALID'],
        [validate(expired.org), expired.key, '{', 'application/json', 401, 'API_KEY_EXPIRED'],
        [validate(b.org), a.key, '{"pipeline_id":', 'application/json', 403, 'ORG_FORBIDDEN'],
        [
          `/api/v1/admin/organizations/${b.org}/costs/import`,
          b.key.slice(0, -1) + (b.key.endsWith('x') ? 'y' : 'x'),
          Buffer.alloc(64),
          'image/png',
          401,
          'API_KEY_INVALID',
        ],
      ];
      for (const [url, key, payload, type, status, code] of cases) {
        const res = await post(url, key, payload, type);
        expect([res.statusCode, res.json().code], `${url} ${code}`).toEqual([status, code]);
      }
      // A valid key of its own org: the body is read, and judged.
      const own = await post(validate(b.org), b.key, '{"pipeline_id":');
      expect([own.statusCode, own.json().code]).toEqual([400, 'MALFORMED_JSON']);
    });

    it('org key: a lookup the warehouse cannot answer is 503 with Retry-After, before and after a body', async () => {
      const a = await anOrgWithKey(p.warehouse);
      const down = vi
        .spyOn(p.warehouse, 'query')
        .mockRejectedValue(new WarehouseError(WarehouseErrorCode.Unavailable, 'connection reset'));
      try {
        const requests = [
          { method: 'GET' as const, url: `/api/v1/costs/${a.org}/summary` },
          {
            method: 'POST' as const,
            url: `/api/v1/validator/validate/${a.org}`,
            payload: { pipeline_id: 'p' },
          },
        ];
        for (const request of requests) {
          const res = await inject({ ...request, headers: { 'x-api-key': a.key } });
          expect([res.statusCode, res.json().code], request.url).toEqual([503, 'AUTH_SERVICE_UNAVAILABLE']);
          expect(res.headers['retry-after'], request.url).toBe('5');
        }
      } finally {
        down.mockRestore();
      }
    });

    it('org key: a malformed slug in the path is 422 naming org (a typo names no other org)', async () => {
      const a = await anOrgWithKey(p.warehouse);
      for (const slug of [a.org.toUpperCase(), 'ab', 'with-dash']) {
        const res = await inject({
          method: 'GET',
          url: `/api/v1/probe/org/${slug}`,
          headers: { 'x-api-key': a.key },
        });
        expect(res.statusCode, slug).toBe(422);
        expect(res.json().errors).toEqual([
          {
            field: 'org',
            message: 'org must be 3-50 lowercase letters, digits or underscores (^[a-z0-9_]{3,50}$)',
          },
        ]);
      }
    });

    it('org key: missing, unknown, revoked, expired and inactive-org keys are 401', async () => {
      const revoked = await anOrgWithKey(p.warehouse, { isActive: false });
      const expired = await anOrgWithKey(p.warehouse, { expiresAt: new Date(Date.now() - 1000) });
      const suspended = await anOrgWithKey(p.warehouse, { status: 'SUSPENDED' });
      const cases: [Record<string, string>, string, string][] = [
        [{}, revoked.org, 'API_KEY_REQUIRED'],
        [
          { 'x-api-key': `${revoked.org}_api_unknownunknownunknownunknown12` },
          revoked.org,
          'API_KEY_INVALID',
        ],
        [{ 'x-api-key': revoked.key }, revoked.org, 'API_KEY_INVALID'],
        [{ 'x-api-key': expired.key }, expired.org, 'API_KEY_EXPIRED'],
        [{ 'x-api-key': suspended.key }, suspended.org, 'API_KEY_INVALID'],
      ];
      for (const [headers, org, code] of cases) {
        const res = await inject({ method: 'GET', url: `/api/v1/probe/org/${org}`, headers });
        expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code });
      }
    });

    it('enforces scopes', async () => {
      const k = await anOrgWithKey(p.warehouse, { scopes: ['pipelines:read'] });
      const res = await inject({
        method: 'GET',
        url: `/api/v1/probe/org/${k.org}`,
        headers: { 'x-api-key': k.key },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE', missing_scopes: ['pipelines:execute'] });
    });

    it('org-or-root: root acts for any org; a revocation clears the key cache at once', async () => {
      const k = await anOrgWithKey(p.warehouse);
      const root = await inject({ method: 'GET', url: `/api/v1/probe/any/${k.org}`, headers: rootHeaders });
      expect(root.json()).toEqual({ org: k.org, auth: 'root' });
      // A root key sent decides, an org key beside it or not: right, root; wrong, refused (before
      // a body too), never served as the org key's request.
      const both = await inject({
        method: 'GET',
        url: `/api/v1/probe/any/${k.org}`,
        headers: { 'x-api-key': k.key, ...rootHeaders },
      });
      expect(both.json()).toEqual({ org: k.org, auth: 'root' });
      for (const [method, url] of [
        ['GET', `/api/v1/probe/any/${k.org}`],
        ['POST', `/api/v1/costs/${k.org}/cache/invalidate`],
      ] as const) {
        const wrong = await inject({
          method,
          url,
          headers: {
            'x-api-key': k.key,
            'x-ca-root-key': 'w'.repeat(40),
            'content-type': 'application/json',
          },
          payload: method === 'POST' ? '{"unread":' : undefined,
        });
        expect(wrong.statusCode).toBe(403);
        expect(wrong.json()).toMatchObject({ code: 'ROOT_KEY_INVALID' });
      }
      const first = await inject({
        method: 'GET',
        url: `/api/v1/probe/any/${k.org}`,
        headers: { 'x-api-key': k.key },
      });
      expect(first.statusCode).toBe(200);
      await p.warehouse.execute(
        `UPDATE \`${CENTRAL_DATASET}.org_api_keys\` SET is_active = FALSE WHERE org_api_key_id = @id`,
        { id: k.keyId },
      );
      const { ApiKeyCache } = await import('#platform');
      await p.app.get(ApiKeyCache).invalidateOrg(k.org);
      const after = await inject({
        method: 'GET',
        url: `/api/v1/probe/any/${k.org}`,
        headers: { 'x-api-key': k.key },
      });
      expect(after.statusCode).toBe(401);
    });
  });
});
