import { WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { platformApp, startTwoGuessApp } from '#test/platform-app';
import { rootHeaders } from '#test/test-app';

describe('platform over the real app', () => {
  const p = platformApp();
  beforeAll(() => p.start());
  afterAll(() => p.close());
  const { inject } = p;

  describe('auth', () => {
    it('refuses a body sent without the credentials its route needs before reading it', async () => {
      const bad = { 'content-type': 'application/json' };
      // Malformed JSON would be a 400 once read: the missing key is found first.
      const locale = await inject({
        method: 'PUT',
        url: '/api/v1/organizations/acme_corp/locale',
        headers: bad,
        payload: '{bad',
      });
      expect([locale.statusCode, locale.json().code]).toEqual([401, 'AUTH_REQUIRED']);
      const validate = await inject({
        method: 'POST',
        url: '/api/v1/validator/validate/acme_corp',
        headers: bad,
        payload: '{bad',
      });
      expect([validate.statusCode, validate.json().code]).toEqual([401, 'API_KEY_REQUIRED']);
      const admin = await inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap',
        headers: bad,
        payload: '{bad',
      });
      expect([admin.statusCode, admin.json().code]).toEqual([401, 'ROOT_KEY_REQUIRED']);
      // An upload without credentials is not answered about its media type.
      const upload = await inject({
        method: 'POST',
        url: '/api/v1/admin/organizations/acme_corp/costs/import',
        headers: { 'content-type': 'image/png' },
        payload: Buffer.alloc(64),
      });
      expect([upload.statusCode, upload.json().code]).toEqual([401, 'AUTH_REQUIRED']);
      // With credentials, the body is read and judged as before.
      const k = await anOrgWithKey(p.warehouse);
      const read = await inject({
        method: 'PUT',
        url: `/api/v1/organizations/${k.org}/locale`,
        headers: { ...bad, 'x-api-key': k.key },
        payload: '{bad',
      });
      expect(read.statusCode).toBe(400);
    });

    it('root key: a wrong one is refused before its body is read, on root and org-or-root routes', async () => {
      const wrong = { 'x-ca-root-key': 'x'.repeat(40), 'content-type': 'application/json' };
      for (const [url, payload] of [
        ['/api/v1/admin/bootstrap', '{"force_recreate_dataset":'],
        ['/api/v1/admin/bootstrap', 'x'.repeat(20 * 1024 * 1024)],
        ['/api/v1/admin/organizations/acme_corp/costs/import', '{'],
      ] as const) {
        const res = await inject({ method: 'POST', url, headers: wrong, payload });
        expect([res.statusCode, res.json().code], url).toEqual([403, 'ROOT_KEY_INVALID']);
      }
      // The right key: the body is read, and judged.
      const right = await inject({
        method: 'POST',
        url: '/api/v1/admin/bootstrap',
        headers: { ...rootHeaders, 'content-type': 'application/json' },
        payload: '{"force_recreate_dataset":',
      });
      expect([right.statusCode, right.json().code]).toEqual([400, 'MALFORMED_JSON']);
    });

    it('root key: 401 missing, 403 wrong, 200 right', async () => {
      const missing = await inject({ method: 'GET', url: '/api/v1/admin/bootstrap/status' });
      expect(missing.statusCode).toBe(401);
      expect(missing.json().code).toBe('ROOT_KEY_REQUIRED');
      expect(missing.headers['www-authenticate']).toBe('RootKey');
      const wrong = await inject({
        method: 'GET',
        url: '/api/v1/admin/bootstrap/status',
        headers: { 'x-ca-root-key': 'x'.repeat(40) },
      });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().code).toBe('ROOT_KEY_INVALID');
      const ok = await inject({ method: 'GET', url: '/api/v1/admin/probe-not-there', headers: rootHeaders });
      expect(ok.statusCode).toBe(404);
    });

    it('refuses and counts a wrong root key beside an org key on an org-only route too: guesses meet one bound', async () => {
      const fresh = await startTwoGuessApp();
      try {
        const k = await anOrgWithKey(fresh.app.get<Warehouse>(WAREHOUSE));
        const asOrg = (headers: Record<string, string> = {}) =>
          fresh.app.inject({
            method: 'GET',
            url: `/api/v1/probe/org/${k.org}`,
            headers: { 'x-api-key': k.key, ...headers },
          });
        expect((await asOrg()).json()).toEqual({ org: k.org, auth: 'org' });
        const guessed = (i: number) => ({ 'x-ca-root-key': `guess_${i}_`.padEnd(40, 'x') });
        // The validator grants include_credentials to the right root key: a wrong one must not
        // just be told "not granted" (403 CREDENTIALS_FORBIDDEN), uncounted, guess after guess.
        const validate = (i: number) =>
          fresh.app.inject({
            method: 'POST',
            url: `/api/v1/validator/validate/${k.org}`,
            headers: { 'x-api-key': k.key, 'content-type': 'application/json', ...guessed(i) },
            payload: { pipeline_id: 'gcp_billing', include_credentials: true },
          });
        expect([(await asOrg(guessed(1))).json().code, (await validate(2)).json().code]).toEqual([
          'ROOT_KEY_INVALID',
          'ROOT_KEY_INVALID',
        ]);
        // Two failures this minute: every further guess is 429, on any route, saying nothing of it.
        const admin = fresh.app.inject({
          method: 'GET',
          url: '/api/v1/admin/bootstrap/status',
          headers: guessed(5),
        });
        for (const res of [await asOrg(guessed(3)), await validate(4), await admin]) {
          expect([res.statusCode, res.json().code]).toEqual([429, 'RATE_LIMITED']);
          expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        }
        // The right key is never held back; beside the org key, the org key is what an org-only route takes.
        expect((await asOrg(rootHeaders)).json()).toEqual({ org: k.org, auth: 'org' });
        expect((await asOrg()).statusCode).toBe(200);
        // Org keys this instance has not seen yet are locked out with their address...
        const [k2, k3, k4] = await Promise.all(
          [1, 2, 3].map(() => anOrgWithKey(fresh.app.get<Warehouse>(WAREHOUSE))),
        );
        const probe = (key: typeof k2, headers: Record<string, string> = {}) =>
          fresh.app.inject({
            method: 'GET',
            url: `/api/v1/probe/org/${key.org}`,
            headers: { 'x-api-key': key.key, ...headers },
          });
        expect((await probe(k4)).statusCode).toBe(429);
        // ...but not beside the right root key: the pipeline service's own calls go on.
        expect((await probe(k2, rootHeaders)).json()).toEqual({ org: k2.org, auth: 'org' });
        const validated = await fresh.app.inject({
          method: 'POST',
          url: `/api/v1/validator/validate/${k3.org}`,
          headers: { 'x-api-key': k3.key, 'content-type': 'application/json', ...rootHeaders },
          payload: { pipeline_id: 'gcp_billing' },
        });
        expect(validated.statusCode, validated.body).toBe(200);
      } finally {
        await fresh.close();
      }
    });

    it('answers a wrong root key without an org key alike on an org-only GET and POST, counting both', async () => {
      const fresh = await startTwoGuessApp();
      try {
        const k = await anOrgWithKey(fresh.app.get<Warehouse>(WAREHOUSE));
        const guessed = (i: number) => ({ 'x-ca-root-key': `guess_${i}_`.padEnd(40, 'x') });
        const get = (headers: Record<string, string>) =>
          fresh.app.inject({ method: 'GET', url: `/api/v1/probe/org/${k.org}`, headers });
        const post = (headers: Record<string, string>) =>
          fresh.app.inject({
            method: 'POST',
            url: `/api/v1/validator/validate/${k.org}`,
            headers: { 'content-type': 'application/json', ...headers },
            payload: { pipeline_id: 'gcp_billing' },
          });
        const answer = (res: { statusCode: number; json: () => { code?: string } }) => [
          res.statusCode,
          res.json().code,
        ];
        // Without any key, both say which one the route takes.
        expect([answer(await get({})), answer(await post({}))]).toEqual([
          [401, 'API_KEY_REQUIRED'],
          [401, 'API_KEY_REQUIRED'],
        ]);
        expect([answer(await get(guessed(1))), answer(await post(guessed(2)))]).toEqual([
          [403, 'ROOT_KEY_INVALID'],
          [403, 'ROOT_KEY_INVALID'],
        ]);
        // Both guesses were counted: the address is locked out, on either method.
        expect([answer(await get(guessed(3))), answer(await post(guessed(4)))]).toEqual([
          [429, 'RATE_LIMITED'],
          [429, 'RATE_LIMITED'],
        ]);
      } finally {
        await fresh.close();
      }
    });
  });
});
