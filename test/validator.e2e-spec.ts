import type { DbRow } from '#tenancy-db';
import type { Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { postgresTenancyEnv, rootHeaders, type TestApp } from '#test/test-app';
import { startValidatorApp, type ValidatorApp } from '#test/validator-app';

/** The validator's contract with the pipeline service, through the real app on each tenancy engine. */
function scenarios(engine: string, engineEnv: () => Record<string, string>) {
  describe(`pipeline validator on ${engine}`, () => {
    let v: ValidatorApp;
    let t: TestApp;
    let warehouse: Warehouse;

    beforeAll(async () => {
      v = await startValidatorApp(engineEnv());
      ({ t, warehouse } = v);
    });
    afterAll(() => v.close());

    const anOrg = (row?: DbRow, scopes?: string[]) => v.anOrg(row, scopes);
    const validate: ValidatorApp['validate'] = (...args) => v.validate(...args);
    const usage = (org: string) => v.usage(org);

    it('lists the 23 pipelines of the registry and finds one by exact id only', async () => {
      const all = (await t.app.inject({ method: 'GET', url: '/api/v1/validator/pipelines' })).json();
      expect(all.total).toBe(23);
      expect(all.pipelines.find((p: { id: string }) => p.id === 'genai_payg_openai')).toEqual({
        id: 'genai_payg_openai',
        name: 'OpenAI Usage & Cost',
        description: expect.any(String),
        category: 'genai',
        provider: '',
        domain: 'payg',
        pipeline: 'openai',
        required_integration: 'OPENAI',
        schedule: 'daily',
        enabled: true,
      });
      const genai = (
        await t.app.inject({ method: 'GET', url: '/api/v1/validator/pipelines?provider=genai' })
      ).json();
      expect(genai.total).toBe(11);
      const gcp = (
        await t.app.inject({ method: 'GET', url: '/api/v1/validator/pipelines?provider=GCP' })
      ).json();
      expect(gcp.pipelines.map((p: { id: string }) => p.id)).toEqual([
        'cloud_gcp_cost_billing',
        'cloud_gcp_api_billing_accounts',
        'cloud_gcp_api_compute_instances',
        'cloud_gcp_cost_focus_convert',
      ]);
      const one = await t.app.inject({
        method: 'GET',
        url: '/api/v1/validator/pipelines/subscription_costs',
      });
      expect(one.json()).toMatchObject({ id: 'subscription_costs', category: 'subscription', provider: '' });
      const path = await t.app.inject({
        method: 'GET',
        url: '/api/v1/validator/pipelines/subscription_costs_subscription_cost',
      });
      expect({ status: path.statusCode, code: path.json().code }).toEqual({
        status: 404,
        code: 'PIPELINE_NOT_FOUND',
      });
    });

    it('documents the validator and quota routes in the OpenAPI document', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const paths = Object.keys(doc.paths as object);
      for (const route of [
        '/api/v1/validator/pipelines',
        '/api/v1/validator/pipelines/{pipeline_id}',
        '/api/v1/validator/validate/{org}',
        '/api/v1/validator/complete/{org}',
        '/api/v1/validator/heartbeat/{org}',
        '/api/v1/organizations/{org}/quota',
        '/api/v1/quota/reset-daily',
        '/api/v1/admin/quota/cleanup-stale',
      ])
        expect(paths).toContain(route);
      expect(doc.components.schemas.ValidateResponseDto.properties).toHaveProperty('retry_after_seconds');
    });

    it('grants a run, returns its reservation, and answers a retry of the same run id without a second slot', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 2 });
      const first = await validate(k.org, k.key, {
        pipeline_id: 'subscription_costs',
        pipeline_logging_id: 'run-a',
      });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({
        valid: true,
        error: null,
        error_code: null,
        org_slug: k.org,
        org_dataset_id: `${k.org}_local`,
        run_id: 'run-a',
        pipeline_logging_id: 'run-a',
        reservation_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        reservation_date: new Date().toISOString().slice(0, 10),
        replayed: false,
        retry_after_seconds: null,
        pipeline_config: { id: 'subscription_costs', default_timeout_seconds: 600 },
        subscription: { plan_name: 'STARTER', status: 'ACTIVE', daily_limit: 6, concurrent_limit: 2 },
        quota: {
          pipelines_run_today: 1,
          concurrent_pipelines_running: 1,
          remaining_today: 5,
          remaining_concurrent: 1,
        },
      });
      expect(first.headers['cache-control']).toBe('no-store');
      const again = await validate(k.org, k.key, {
        pipeline_id: 'subscription_costs',
        pipeline_logging_id: 'run-a',
      });
      expect(again.json()).toMatchObject({
        valid: true,
        replayed: true,
        reservation_id: first.json().reservation_id,
        quota: { pipelines_run_today: 1, concurrent_pipelines_running: 1 },
      });
      // The path form of the id resolves to the same registry entry.
      const byPath = await validate(k.org, k.key, { pipeline_id: 'subscription_costs_subscription_cost' });
      expect(byPath.json()).toMatchObject({ valid: true, pipeline_config: { id: 'subscription_costs' } });
    });

    it('writes the subscription end as every other instant of the API, whatever the tenancy DB holds', async () => {
      // The dashboard's table defaults current_period_end to now() + 1 month (microseconds), which
      // the tenancy DB renders with +00:00 and trailing zeros trimmed (5 decimals here), a form
      // Python's fromisoformat refuses before 3.11.
      const k = await anOrg({ current_period_end: '2027-01-06T20:02:37.26812Z' });
      for (const pipeline_id of ['subscription_costs', 'genai_payg_openai']) {
        const res = await validate(k.org, k.key, { pipeline_id });
        expect(res.json().subscription).toMatchObject({
          subscription_end_date: '2027-01-06T20:02:37.268Z',
        });
      }
    });

    it('validates a trial that ends where a Date cannot (infinity, a year past 9999, set by hand) instead of failing', async () => {
      for (const trialEndsAt of ['infinity', '10000-01-01T00:00:00Z']) {
        const k = await anOrg({ billing_status: 'trialing', trial_ends_at: trialEndsAt });
        const res = await validate(k.org, k.key, { pipeline_id: 'subscription_costs' });
        expect({ status: res.statusCode, body: res.json() }).toMatchObject({
          status: 200,
          body: { valid: true, subscription: { status: 'TRIAL', trial_end_date: expect.any(String) } },
        });
        // The required-integration path reads the subscription first, and agrees the trial runs.
        const other = await validate(k.org, k.key, { pipeline_id: 'genai_payg_openai' });
        expect({ status: other.statusCode, code: other.json().error_code }).toEqual({
          status: 200,
          code: 'INTEGRATION_NOT_CONFIGURED',
        });
      }
    });

    it('takes the run id from Idempotency-Key when the body has none, else generates one', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 3 });
      const keyed = await validate(
        k.org,
        k.key,
        { pipeline_id: 'subscription_costs' },
        { 'idempotency-key': 'idem-1' },
      );
      expect(keyed.json()).toMatchObject({ valid: true, run_id: 'idem-1' });
      const retried = await validate(
        k.org,
        k.key,
        { pipeline_id: 'subscription_costs' },
        { 'idempotency-key': 'idem-1' },
      );
      expect(retried.json()).toMatchObject({ replayed: true, reservation_id: keyed.json().reservation_id });
      const generated = await validate(k.org, k.key, { pipeline_id: 'subscription_costs' });
      expect(generated.json().run_id).toMatch(/^[0-9a-f-]{36}$/);
      const bad = await validate(
        k.org,
        k.key,
        { pipeline_id: 'subscription_costs' },
        { 'idempotency-key': 'a b' },
      );
      expect({ status: bad.statusCode, code: bad.json().code }).toEqual({
        status: 422,
        code: 'VALIDATION_FAILED',
      });
    });

    it('refuses an Idempotency-Key and a pipeline_logging_id that name two runs, naming both (422)', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 3 });
      const both = await validate(
        k.org,
        k.key,
        { pipeline_id: 'subscription_costs', pipeline_logging_id: 'from-body' },
        { 'idempotency-key': 'from-header' },
      );
      const message =
        "Idempotency-Key 'from-header' and pipeline_logging_id 'from-body' name two different runs: " +
        'send one of them, or the same run id in both.';
      expect({ status: both.statusCode, ...both.json() }).toMatchObject({
        status: 422,
        code: 'VALIDATION_FAILED',
        detail: '2 fields failed validation: Idempotency-Key, pipeline_logging_id',
        errors: [
          { field: 'Idempotency-Key', message },
          { field: 'pipeline_logging_id', message },
        ],
      });
      expect(await usage(k.org)).toMatchObject({ pipelines_run_today: 0, concurrent_running: 0 });
      const same = await validate(
        k.org,
        k.key,
        { pipeline_id: 'subscription_costs', pipeline_logging_id: 'one-run' },
        { 'idempotency-key': 'one-run' },
      );
      expect(same.json()).toMatchObject({ valid: true, run_id: 'one-run' });
      const headerOnly = await validate(
        k.org,
        k.key,
        { pipeline_id: 'subscription_costs', pipeline_logging_id: null },
        { 'idempotency-key': 'header-run' },
      );
      expect(headerOnly.json()).toMatchObject({ valid: true, run_id: 'header-run' });
    });

    it('refuses past the concurrent limit with a Retry-After, and a refused request holds no slot', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 1 });
      const granted = await validate(k.org, k.key, { pipeline_id: 'subscription_costs' });
      expect(granted.json().valid).toBe(true);
      const refused = await validate(k.org, k.key, { pipeline_id: 'subscription_costs' });
      expect(refused.statusCode).toBe(200);
      expect(refused.json()).toMatchObject({
        valid: false,
        error_code: 'QUOTA_EXCEEDED',
        quota_reason: 'QUOTA_CONCURRENT_EXCEEDED',
        error: 'Concurrent pipeline limit reached (1 pipelines). Wait for running pipelines to complete.',
        reservation_id: null,
        quota: { concurrent_pipelines_running: 1, concurrent_limit: 1 },
      });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBe(refused.json().retry_after_seconds);
      // Until the live run's hold ends: 30 minutes by default (QUOTA_RESERVATION_TTL_SECONDS).
      expect(retryAfter).toBeGreaterThan(1700);
      expect(retryAfter).toBeLessThanOrEqual(1800);
      expect(await usage(k.org)).toMatchObject({ pipelines_run_today: 1, concurrent_running: 1 });
    });

    it('refuses unknown and inactive orgs and missing integrations before reserving anything', async () => {
      const k = await anOrgWithKey(warehouse);
      expect((await validate(k.org, k.key, { pipeline_id: 'subscription_costs' })).json()).toMatchObject({
        valid: false,
        error_code: 'ORG_NOT_FOUND',
      });
      const c = await anOrg({ billing_status: 'past_due' });
      expect((await validate(c.org, c.key, { pipeline_id: 'subscription_costs' })).json()).toMatchObject({
        valid: false,
        error_code: 'SUBSCRIPTION_INACTIVE',
        error: 'Subscription is PAST_DUE. Must be ACTIVE or TRIAL.',
        subscription: { status: 'PAST_DUE' },
      });
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const trial = await anOrg({ billing_status: 'trialing', trial_ends_at: `${yesterday}T00:00:00Z` });
      for (const pipeline_id of ['subscription_costs', 'genai_payg_openai'])
        expect((await validate(trial.org, trial.key, { pipeline_id })).json()).toMatchObject({
          valid: false,
          error_code: 'SUBSCRIPTION_INACTIVE',
          error: `Subscription trial ended on ${yesterday}. Must be ACTIVE or TRIAL.`,
          subscription: { status: 'TRIAL', trial_end_date: yesterday },
        });
      const i = await anOrg();
      expect((await validate(i.org, i.key, { pipeline_id: 'genai_payg_openai' })).json()).toMatchObject({
        valid: false,
        error_code: 'INTEGRATION_NOT_CONFIGURED',
        error: "Required integration 'OPENAI' not configured",
        reservation_id: null,
      });
      expect((await validate(i.org, i.key, { pipeline_id: 'nope_nope_nope' })).json()).toMatchObject({
        valid: false,
        error_code: 'PIPELINE_NOT_FOUND',
        error: "Pipeline 'nope_nope_nope' not found",
      });
      expect(await usage(i.org)).toMatchObject({ pipelines_run_today: 0, concurrent_running: 0 });
      expect(await usage(c.org)).toMatchObject({ pipelines_run_today: 0, concurrent_running: 0 });
    });

    it('admits only the org key with pipelines:execute of the org in the path', async () => {
      const k = await anOrg();
      const other = await anOrg();
      const cross = await validate(other.org, k.key, { pipeline_id: 'subscription_costs' });
      expect({ status: cross.statusCode, code: cross.json().code }).toEqual({
        status: 403,
        code: 'ORG_FORBIDDEN',
      });
      const root = await t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/validate/${k.org}`,
        headers: rootHeaders,
        payload: { pipeline_id: 'subscription_costs' },
      });
      expect(root.statusCode).toBe(401);
      const readOnly = await anOrg({}, ['pipelines:read']);
      const scoped = await validate(readOnly.org, readOnly.key, { pipeline_id: 'subscription_costs' });
      expect({ status: scoped.statusCode, code: scoped.json().code }).toEqual({
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
      });
    });
  });
}

scenarios('PGlite', () => ({}));

describe.skipIf(!process.env.TEST_DATABASE_URL)('on the machine PostgreSQL', () => {
  scenarios('PostgreSQL', postgresTenancyEnv);
});
