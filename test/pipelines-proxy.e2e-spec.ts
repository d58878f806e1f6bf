import { anOrgWithKey } from '#test/org-factory';
import { TEST_ROOT_KEY } from '#test/test-app';
import { pipelineProxyApp, problem, TRIGGERS_PER_MINUTE, UUID } from '#test/pipeline-proxy-suite';

describe('pipeline proxy against a real local pipeline service', () => {
  const proxy = pipelineProxyApp();
  const { trigger } = proxy;

  describe('forwarding', () => {
    it("forwards the caller's key, request id, an idempotency key and the dates; maps the answer", async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      const res = await trigger(k.org, k.key, 'trigger/{org}/subscription/costs/subscription_cost', {
        headers: { 'x-request-id': 'req-abc-123' },
        payload: { start_date: '2026-03-01', end_date: '2026-03-09' },
      });
      expect(res.statusCode).toBe(200);
      expect(proxy.fake.requests).toHaveLength(1);
      const seen = proxy.fake.requests[0]!;
      expect(seen.method).toBe('POST');
      expect(seen.path).toBe(`/api/v1/pipelines/run/${k.org}/subscription/costs/subscription_cost`);
      expect(seen.headers['x-api-key']).toBe(k.key);
      expect(seen.headers['x-request-id']).toBe('req-abc-123');
      expect(seen.headers['idempotency-key']).toMatch(UUID);
      expect(seen.json).toEqual({ start_date: '2026-03-01', end_date: '2026-03-09' });
      expect(res.headers['x-request-id']).toBe('req-abc-123');
      expect(res.headers['idempotency-key']).toBe(seen.headers['idempotency-key']);
      expect(res.json()).toEqual({
        pipeline_logging_id: expect.stringMatching(UUID),
        pipeline_id: `${k.org}-subscription-costs-subscription_cost`,
        org_slug: k.org,
        status: 'PENDING',
        message: 'Pipeline run started',
        request_id: 'req-abc-123',
      });
      expect(res.headers['x-ratelimit-limit']).toBe(String(TRIGGERS_PER_MINUTE));
      expect(res.headers['x-ratelimit-remaining']).toBe(String(TRIGGERS_PER_MINUTE - 1));
      const reset = Number(res.headers['x-ratelimit-reset']);
      expect(reset).toBeGreaterThan(Date.now() / 1000);
      expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
    });

    it('sends a cloud provider trigger under cloud/, and the run paths as given', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing');
      await trigger(k.org, k.key, 'run/{org}/genai/payg/openai');
      await trigger(k.org, k.key, 'run/{org}/cloud/aws/cost/billing');
      expect(proxy.fake.requests.map((r) => r.path.replace(`/api/v1/pipelines/run/${k.org}/`, ''))).toEqual([
        'cloud/gcp/cost/billing',
        'genai/payg/openai',
        'cloud/aws/cost/billing',
      ]);
      expect(proxy.fake.requests.map((r) => r.json)).toEqual([{}, {}, {}]);
    });

    it("takes the dashboard's run date with its start date, and forwards both", async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      const res = await trigger(k.org, k.key, 'run/{org}/subscription/costs/subscription_cost', {
        payload: { date: '2026-03-09', start_date: '2026-03-01' },
      });
      expect(res.statusCode).toBe(200);
      expect(proxy.fake.requests.map((r) => r.json)).toEqual([
        { date: '2026-03-09', start_date: '2026-03-01' },
      ]);
      const bad = await trigger(k.org, k.key, 'run/{org}/subscription/costs/subscription_cost', {
        payload: { date: '2026-02-30' },
      });
      expect(bad.statusCode).toBe(422);
      expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(['date']);
    });

    it('refuses bad segments, dates and unknown fields with 422 before calling the service', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      const badSegment = await trigger(k.org, k.key, 'trigger/{org}/gcp-x/cost/billing');
      expect(problem(badSegment)).toEqual({ status: 422, code: 'VALIDATION_FAILED' });
      expect(badSegment.json().errors).toEqual([
        { field: 'provider', message: 'provider must be 1-50 alphanumeric characters or underscores' },
      ]);
      const badDate = await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing', {
        payload: { start_date: '2026-13-01' },
      });
      expect(badDate.json().errors.map((e: { field: string }) => e.field)).toContain('start_date');
      const reversed = await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing', {
        payload: { start_date: '2026-03-09', end_date: '2026-03-01' },
      });
      expect(reversed.json().errors).toEqual([
        { field: 'end_date', message: 'end_date must not be before start_date' },
      ]);
      // The run date is a start too: an end before it is refused, naming end_date.
      const beforeRunDate = await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing', {
        payload: { date: '2026-03-09', end_date: '2026-03-01' },
      });
      expect({ status: beforeRunDate.statusCode, errors: beforeRunDate.json().errors }).toEqual({
        status: 422,
        errors: [{ field: 'end_date', message: 'end_date must not be before date' }],
      });
      const beforeBoth = await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing', {
        payload: { date: '2026-03-09', start_date: '2026-03-05', end_date: '2026-03-01' },
      });
      expect(beforeBoth.json().errors).toEqual([
        { field: 'end_date', message: 'end_date must not be before date' },
        { field: 'end_date', message: 'end_date must not be before start_date' },
      ]);
      // A malformed start is its own error only: there is nothing to compare the end with.
      const malformed = await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing', {
        payload: { start_date: 'abc', end_date: '2026-03-01' },
      });
      // One field, one message.
      expect(malformed.json().errors).toEqual([
        { field: 'start_date', message: 'start_date must be a calendar date as YYYY-MM-DD' },
      ]);
      const extra = await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing', {
        payload: { force: true },
      });
      expect(extra.statusCode).toBe(422);
      const badKey = await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing', {
        headers: { 'idempotency-key': 'k'.repeat(256) },
      });
      expect(badKey.json().errors.map((e: { field: string }) => e.field)).toEqual(['Idempotency-Key']);
      // "café-1" as a client sends it in UTF-8, which Node reads as Latin-1: forwarded, the service
      // got "cafÃ\u0083Â©-1" (Node wrote the header with the body, in UTF-8), another key than
      // the one echoed to the caller; a tab or a control character is no key either.
      for (const key of ['caf\u00c3\u00a9-1', 'a\tb']) {
        const odd = await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing', {
          headers: { 'idempotency-key': key },
        });
        expect({
          status: odd.statusCode,
          fields: odd.json().errors?.map((e: { field: string }) => e.field),
        }).toEqual({
          status: 422,
          fields: ['Idempotency-Key'],
        });
      }
      expect(proxy.fake.requests).toHaveLength(0);
      // None of them took a trigger from the org's allowance for the minute.
      const first = await trigger(k.org, k.key, 'trigger/{org}/gcp/cost/billing');
      expect(first.headers['x-ratelimit-remaining']).toBe(String(TRIGGERS_PER_MINUTE - 1));
    });

    it("refuses another org's key with 403 without calling the service", async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      const intruder = await anOrgWithKey(proxy.warehouse);
      const res = await trigger(k.org, intruder.key, 'trigger/{org}/gcp/cost/billing');
      expect(problem(res)).toEqual({ status: 403, code: 'ORG_FORBIDDEN' });
      expect(proxy.fake.requests).toHaveLength(0);
    });
  });

  describe('retries', () => {
    it('retries a 503 with the same generated Idempotency-Key and succeeds', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.sequence([
        { status: 503, body: { detail: 'warming up' } },
        { status: 200, body: { status: 'PENDING' } },
      ]);
      const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(res.statusCode).toBe(200);
      const keys = proxy.fake.requests.map((r) => r.headers['idempotency-key']);
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(UUID);
      expect(keys[1]).toBe(keys[0]);
      expect(res.headers['idempotency-key']).toBe(keys[0]);
    });

    it("forwards the caller's Idempotency-Key on every attempt, then reports the last 503", async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.always({ status: 503, body: { detail: 'down' } });
      const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai', {
        headers: { 'idempotency-key': 'idem-42' },
      });
      expect(problem(res)).toEqual({ status: 503, code: 'PIPELINE_SERVICE_UNAVAILABLE' });
      expect(res.json().upstream_status).toBe(503);
      expect(proxy.fake.requests.map((r) => r.headers['idempotency-key'])).toEqual([
        'idem-42',
        'idem-42',
        'idem-42',
      ]);
    });

    it("does not knock again before a 503's Retry-After, and passes it on", async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.always({ status: 503, body: { detail: 'maintenance' }, headers: { 'retry-after': '30' } });
      const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(problem(res)).toEqual({ status: 503, code: 'PIPELINE_SERVICE_UNAVAILABLE' });
      expect(res.headers['retry-after']).toBe('30');
      expect(res.json().detail).toBe('Pipeline service error: maintenance');
      expect(proxy.fake.requests).toHaveLength(1);
      // Its other form, an HTTP date, is read too and passed on as seconds.
      const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
      proxy.fake.always({
        status: 503,
        body: { detail: 'maintenance' },
        headers: { 'retry-after': inAnHour },
      });
      const dated = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(Number(dated.headers['retry-after'])).toBeGreaterThan(3_500);
      expect(proxy.fake.requests).toHaveLength(2);
      // Garbage is no date: dropped, and the retries go on as planned.
      proxy.fake.always({
        status: 503,
        body: { detail: 'maintenance' },
        headers: { 'retry-after': 'May 5' },
      });
      const garbled = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(garbled.headers['retry-after']).toBeUndefined();
      expect(proxy.fake.requests).toHaveLength(5);
    });

    it('does not retry a 500, and passes on the reason the service wrote, never its raw body', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.always({
        status: 500,
        body: { detail: 'BigQuery export table missing; key sk_live_abcdefghijklmnop1234' },
      });
      const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(problem(res)).toEqual({ status: 500, code: 'PIPELINE_SERVICE_ERROR' });
      expect(res.json().detail).toBe('Pipeline service error: BigQuery export table missing; key [REDACTED]');
      expect(proxy.fake.requests).toHaveLength(1);
      proxy.fake.always({ status: 500, body: 'Traceback (most recent call last): secret internals' });
      const crashed = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(crashed.json()).toMatchObject({
        code: 'PIPELINE_SERVICE_ERROR',
        detail: 'Pipeline service error: HTTP 500',
      });
      expect(crashed.body).not.toContain('secret internals');
      // An error object is no written reason either; nor is a redirect's page.
      proxy.fake.always({
        status: 500,
        body: { error: { trace: 'File "/app/db.py", host=10.0.0.9 secret internals' } },
      });
      const objected = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(objected.json().detail).toBe('Pipeline service error: HTTP 500');
      proxy.fake.always({ status: 302, body: '<html>Redirecting to http://10.1.2.3/internal</html>' });
      const redirected = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(redirected.json()).toMatchObject({ status: 502, detail: 'Pipeline service error: HTTP 302' });
    });

    it('never passes on the platform root key, a provider secret or a page the service sends back', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
      const secrets = [
        TEST_ROOT_KEY,
        'sk-proj-AbCdEfGhIjKlMnOpQrStUv',
        'ghp_abcdefghijklmnopqrstuvwxyz0123',
        pem,
      ];
      proxy.fake.always({ status: 400, body: { detail: `bad run; root ${secrets.join(' ')}` } });
      const refused = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(refused.statusCode).toBe(400);
      expect(refused.json().detail).toMatch(/^Pipeline service error: bad run; root \[REDACTED\]/);
      proxy.fake.always({
        status: 200,
        body: { status: 'PENDING', message: `started with ${TEST_ROOT_KEY}` },
      });
      const started = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(started.json().message).toBe('started with [REDACTED]');
      for (const res of [refused, started])
        for (const secret of [...secrets, 'MIIEvQ']) expect(res.body).not.toContain(secret);
      // A gateway's page is no reason: the caller gets the generic one.
      proxy.fake.always({ status: 429, body: '<html><body>slow down</body></html>' });
      const limited = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(limited.json()).toMatchObject({ status: 429, detail: 'Pipeline rate limit exceeded' });
    });

    it('tells the caller when the run may have started (so a blind retry could start another)', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.always({ status: 200, body: { status: 'PENDING' }, delayMs: 2_000 });
      const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(res.json()).toMatchObject({
        code: 'PIPELINE_SERVICE_TIMEOUT',
        detail: expect.stringContaining('may or may not have started'),
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    });

    it('drops the daily status it told the caller to check when the run may have started', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      const status = () =>
        proxy.t.app.inject({
          method: 'GET',
          url: `/api/v1/pipelines/status/${k.org}`,
          headers: { 'x-api-key': k.key },
        });
      expect((await status()).json().cached).toBe(false);
      expect((await status()).json().cached).toBe(true);
      // Cut off after sending (a timeout), or a gateway's 504 after the retries: either may have
      // started the run, and the answer says to check its status before triggering it again.
      for (const reply of [
        { status: 200, body: { status: 'PENDING' }, delayMs: 2_000 },
        { status: 504, body: { detail: 'gateway timeout' } },
      ]) {
        proxy.fake.always(reply);
        const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
        expect(res.json().detail).toMatch(/may or may not have started|gateway timeout/);
        expect((await status()).json().cached).toBe(false);
        expect((await status()).json().cached).toBe(true);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    });

    it('gives up at the timeout with 504 and does not retry', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.always({ status: 200, body: { status: 'PENDING' }, delayMs: 2_000 });
      const started = Date.now();
      const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(problem(res)).toEqual({ status: 504, code: 'PIPELINE_SERVICE_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(1_500);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(proxy.fake.requests).toHaveLength(1);
    });
  });
});
