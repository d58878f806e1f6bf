import { anOrgWithKey } from '#test/org-factory';
import { TEST_ROOT_KEY } from '#test/test-app';
import { pipelineProxyApp, problem, TRIGGERS_PER_MINUTE } from '#test/pipeline-proxy-suite';

describe('pipeline proxy against a real local pipeline service', () => {
  const proxy = pipelineProxyApp();
  const { trigger } = proxy;

  describe('status mapping', () => {
    it("passes a 429 through with the service's detail and Retry-After", async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.always({
        status: 429,
        body: { detail: 'Daily pipeline quota exceeded' },
        headers: { 'Retry-After': '120' },
      });
      const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(problem(res)).toEqual({ status: 429, code: 'PIPELINE_RATE_LIMITED' });
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().detail).toBe('Daily pipeline quota exceeded');
      expect(res.headers['retry-after']).toBe('120');
      expect(res.headers['x-ratelimit-remaining']).toBe(String(TRIGGERS_PER_MINUTE - 1));
      proxy.fake.always({ status: 429, body: 'slow down' });
      const text = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect({ ...problem(text), detail: text.json().detail }).toEqual({
        status: 429,
        code: 'PIPELINE_RATE_LIMITED',
        detail: 'slow down',
      });
    });

    it.each([
      [400, { detail: 'Bad dates' }, 'PIPELINE_REQUEST_REJECTED', 'Pipeline service error: Bad dates'],
      [
        403,
        { detail: 'Subscription is CANCELLED' },
        'PIPELINE_FORBIDDEN',
        'Pipeline service error: Subscription is CANCELLED',
      ],
      [
        404,
        { detail: "Pipeline 'x' not found" },
        'PIPELINE_NOT_FOUND',
        "Pipeline service error: Pipeline 'x' not found",
      ],
      [409, 'already running', 'PIPELINE_CONFLICT', 'Pipeline service error: already running'],
      [418, {}, 'PIPELINE_REQUEST_REJECTED', 'Pipeline service error: {}'],
    ])('maps an upstream %i to %s', async (status, body, code, detail) => {
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.always({ status, body });
      const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect({ ...problem(res), detail: res.json().detail, upstream: res.json().upstream_status }).toEqual({
        status: status === 418 ? 400 : status,
        code,
        detail,
        upstream: status,
      });
    });

    it('reports a run already in progress, and a 202, as triggered', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.always({
        status: 200,
        body: { pipeline_logging_id: 'run-1', pipeline_id: 'p', status: 'RUNNING' },
      });
      const dup = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(dup.json()).toMatchObject({ pipeline_logging_id: 'run-1', status: 'RUNNING' });
      proxy.fake.always({ status: 202, body: { pipeline_logging_id: 'run-2' } });
      const accepted = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json()).toMatchObject({ pipeline_logging_id: 'run-2', status: 'PENDING' });
    });

    it('does not report a 2xx without a JSON object body as triggered: 502', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      for (const body of ['<html>login</html>', '', '[1]']) {
        proxy.fake.always({ status: 200, body });
        const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
        expect(res.statusCode, body).toBe(502);
        expect(res.json()).toMatchObject({
          code: 'PIPELINE_SERVICE_BAD_GATEWAY',
          upstream_status: 200,
          detail: expect.stringContaining('may or may not have started'),
        });
      }
    });

    it('answers a 401 of the service with the WWW-Authenticate challenge every 401 carries', async () => {
      // The key was revoked while the run was on its way: the service's check of it was refused.
      const k = await anOrgWithKey(proxy.warehouse);
      proxy.fake.always({ status: 401, body: { detail: 'Invalid or inactive API key' } });
      const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(problem(res)).toEqual({ status: 401, code: 'PIPELINE_UNAUTHORIZED' });
      expect(res.headers['www-authenticate']).toBe('ApiKey');
    });
  });

  describe('limits and cache metrics', () => {
    it(`allows ${TRIGGERS_PER_MINUTE} triggers per org per minute, counting down, then 429`, async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      const remaining: string[] = [];
      for (let i = 0; i < TRIGGERS_PER_MINUTE; i++) {
        const res = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
        expect(res.statusCode).toBe(200);
        remaining.push(String(res.headers['x-ratelimit-remaining']));
      }
      expect(remaining).toEqual(['4', '3', '2', '1', '0']);
      const refused = await trigger(k.org, k.key, 'trigger/{org}/genai/payg/openai');
      expect(problem(refused)).toEqual({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      expect(proxy.fake.requests).toHaveLength(TRIGGERS_PER_MINUTE);
      const otherOrg = await anOrgWithKey(proxy.warehouse);
      expect((await trigger(otherOrg.org, otherOrg.key, 'trigger/{org}/genai/payg/openai')).statusCode).toBe(
        200,
      );
    });

    it('counts status-cache hits, misses and the invalidation a trigger causes', async () => {
      const k = await anOrgWithKey(proxy.warehouse);
      const metrics = async () =>
        (
          await proxy.t.app.inject({
            method: 'GET',
            url: '/api/v1/pipelines/metrics/cache',
            headers: { 'x-api-key': k.key },
          })
        ).json();
      const status = async () =>
        (
          await proxy.t.app.inject({
            method: 'GET',
            url: `/api/v1/pipelines/status/${k.org}`,
            headers: { 'x-api-key': k.key },
          })
        ).json().cached;
      const before = await metrics();
      expect([await status(), await status()]).toEqual([false, true]);
      await trigger(k.org, k.key, 'trigger/{org}/subscription/costs/subscription_cost');
      expect(await status()).toBe(false);
      const after = await metrics();
      expect({
        hits: after.hits - before.hits,
        misses: after.misses - before.misses,
        invalidations: after.invalidations - before.invalidations,
        total: after.total_requests - before.total_requests,
      }).toEqual({ hits: 1, misses: 2, invalidations: 1, total: 3 });
      expect(after.hit_rate).toBe(Math.round((after.hits / after.total_requests) * 10_000) / 10_000);
    });

    it("shows an org key its own org's counters and the root key the instance's", async () => {
      // Every org key saw the instance's counters: other tenants' lookups and triggers.
      const [busy, quiet] = [await anOrgWithKey(proxy.warehouse), await anOrgWithKey(proxy.warehouse)];
      const metrics = async (headers: Record<string, string>) => {
        const res = await proxy.t.app.inject({
          method: 'GET',
          url: '/api/v1/pipelines/metrics/cache',
          headers,
        });
        expect(res.statusCode).toBe(200);
        return res.json();
      };
      for (let i = 0; i < 3; i++)
        await proxy.t.app.inject({
          method: 'GET',
          url: `/api/v1/pipelines/status/${busy.org}`,
          headers: { 'x-api-key': busy.key },
        });
      await trigger(busy.org, busy.key, 'trigger/{org}/subscription/costs/subscription_cost');
      expect(await metrics({ 'x-api-key': busy.key })).toEqual({
        scope: 'organization',
        hits: 2,
        misses: 1,
        invalidations: 1,
        hit_rate: 0.6667,
        total_requests: 3,
      });
      expect(await metrics({ 'x-api-key': quiet.key })).toEqual({
        scope: 'organization',
        hits: 0,
        misses: 0,
        invalidations: 0,
        hit_rate: 0,
        total_requests: 0,
      });
      const instance = await metrics({ 'x-ca-root-key': TEST_ROOT_KEY });
      expect(instance.scope).toBe('instance');
      expect(instance.total_requests).toBeGreaterThanOrEqual(3);
      expect(instance.invalidations).toBeGreaterThanOrEqual(1);
    });
  });
});
