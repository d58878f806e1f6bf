import { randomUUID } from 'node:crypto';
import type { DbRow } from '#tenancy-db';
import { CENTRAL_DATASET } from '#warehouse';
import { quotaApp } from '#test/quota-app';
import { rootHeaders } from '#test/test-app';
import { QuotaMaintenanceService } from '../apps/api/src/quota/quota-maintenance.service.js';

describe('quota read and the scheduler jobs over the real app', () => {
  const suite = quotaApp();
  const { anOrg, validate, post } = suite;
  /** The org's quota as the root key reads it. */
  const quotaRead = (org: string) =>
    suite.t.app.inject({ method: 'GET', url: `/api/v1/organizations/${org}/quota`, headers: rootHeaders });

  const credential = (org: string, provider: string, extra: DbRow = {}) => ({
    credential_id: randomUUID(),
    org_slug: org,
    provider,
    encrypted_credential: Buffer.from('x'),
    credential_type: 'API_KEY',
    validation_status: 'VALID',
    is_active: true,
    created_at: new Date(),
    ...extra,
  });

  it("reports the org's limits, usage, live runs and configured providers, in both naming styles", async () => {
    const k = await anOrg({ plan: 'PROFESSIONAL', pipelines_per_day_limit: 3 });
    for (const run of ['a', 'b']) expect((await validate(k.org, k.key, run)).json().valid).toBe(true);
    await post(`/api/v1/validator/complete/${k.org}?pipeline_status=SUCCESS&pipeline_logging_id=a`, {
      'x-api-key': k.key,
    });
    await suite.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_integration_credentials' }, [
      credential(k.org, 'OPENAI'),
      credential(k.org, 'OPENAI'),
      credential(k.org, 'GCP_SA'),
      credential(k.org, 'GEMINI', { validation_status: 'INVALID' }),
      credential(k.org, 'DEEPSEEK', { is_active: false }),
      // Past its expiry, or replaced (deactivation due): not configured any more.
      credential(k.org, 'ANTHROPIC', { expires_at: new Date(Date.now() - 60_000) }),
      credential(k.org, 'AWS_IAM', { deactivation_scheduled_at: new Date(Date.now() - 60_000) }),
    ]);
    const res = await suite.t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${k.org}/quota`,
      headers: { 'x-api-key': k.key },
    });
    expect(res.statusCode).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.json()).toEqual({
      org_slug: k.org,
      plan: 'PROFESSIONAL',
      usage_date: today,
      daily_limit: 3,
      monthly_limit: 750,
      concurrent_limit: 2,
      seat_limit: 6,
      providers_limit: 6,
      pipelines_run_today: 2,
      pipelines_succeeded_today: 1,
      pipelines_failed_today: 0,
      pipelines_run_month: 2,
      concurrent_running: 1,
      remaining_today: 1,
      remaining_month: 748,
      remaining_concurrent: 1,
      daily_usage_percent: 66.67,
      monthly_usage_percent: 0.27,
      concurrent_usage_percent: 50,
      providers_configured: 2,
      remaining_providers: 4,
      // Every instant the API answers is written one way, as toISOString does (the tenancy DB's
      // `+00:00` with 0 to 6 decimals reached callers as is).
      next_slot_frees_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      pipelinesRunToday: 2,
      dailyLimit: 3,
      pipelinesRunMonth: 2,
      monthlyLimit: 750,
      concurrentRunning: 1,
      concurrentLimit: 2,
      seatLimit: 6,
      providersLimit: 6,
      configuredProvidersCount: 2,
      usageDate: today,
      dailyUsagePercent: 66.67,
      monthlyUsagePercent: 0.27,
    });
  });

  it('reports no run left today once the month is used up, in the quota read and the validate answer', async () => {
    const k = await anOrg({
      pipelines_per_day_limit: 6,
      pipelines_per_month_limit: 2,
      concurrent_pipelines_limit: 5,
    });
    expect((await validate(k.org, k.key, 'a')).json().quota).toMatchObject({ remaining_today: 1 });
    const granted = (await validate(k.org, k.key, 'b')).json();
    expect(granted.quota).toMatchObject({ remaining_today: 0, remaining_month: 0, pipelines_run_today: 2 });
    const refused = (await validate(k.org, k.key, 'c')).json();
    expect(refused).toMatchObject({ valid: false, quota_reason: 'QUOTA_MONTHLY_EXCEEDED' });
    expect(refused.quota).toMatchObject({ remaining_today: 0, remaining_month: 0 });
    const read = (await quotaRead(k.org)).json();
    expect(read).toMatchObject({
      remaining_today: 0,
      remaining_month: 0,
      daily_limit: 6,
      pipelines_run_today: 2,
    });
  });

  it('reports no run left today for an org whose subscription may not run pipelines, as validate refuses them', async () => {
    const day = 86_400_000;
    const canceled = await anOrg({ billing_status: 'canceled' });
    const trialEnded = await anOrg({
      billing_status: 'trialing',
      trial_ends_at: new Date(Date.now() - 2 * day).toISOString(),
    });
    const trialRunning = await anOrg({
      billing_status: 'trialing',
      trial_ends_at: new Date(Date.now() + 2 * day).toISOString(),
    });
    for (const k of [canceled, trialEnded]) {
      const refused = (await validate(k.org, k.key, 'a')).json();
      expect(refused).toMatchObject({ valid: false, error_code: 'SUBSCRIPTION_INACTIVE' });
      expect(refused.quota).toMatchObject({ remaining_today: 0, remaining_month: 180 });
      const read = (await quotaRead(k.org)).json();
      expect(read).toMatchObject({ remaining_today: 0, remaining_month: 180, pipelines_run_today: 0 });
    }
    expect((await validate(trialRunning.org, trialRunning.key, 'a')).json().quota).toMatchObject({
      remaining_today: 5,
    });
    expect((await quotaRead(trialRunning.org)).json()).toMatchObject({ remaining_today: 5 });
  });

  it('lets the root key read any org, refuses another org key, and says 404 for an org without a record', async () => {
    const k = await anOrg();
    const other = await anOrg();
    const byRoot = await suite.t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${k.org}/quota`,
      headers: rootHeaders,
    });
    expect(byRoot.json()).toMatchObject({
      org_slug: k.org,
      plan: 'STARTER',
      dailyLimit: 6,
      concurrentLimit: 1,
    });
    const cross = await suite.t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${k.org}/quota`,
      headers: { 'x-api-key': other.key },
    });
    expect({ status: cross.statusCode, code: cross.json().code }).toEqual({
      status: 403,
      code: 'ORG_FORBIDDEN',
    });
    const missing = await suite.t.app.inject({
      method: 'GET',
      url: '/api/v1/organizations/no_record_org/quota',
      headers: rootHeaders,
    });
    expect({ status: missing.statusCode, code: missing.json().code }).toEqual({
      status: 404,
      code: 'ORG_NOT_FOUND',
    });
  });

  it("creates each org's row for the day once, at both paths the schedulers call", async () => {
    const k = await anOrg();
    const first = (await post('/api/v1/quota/reset-daily')).json();
    expect(first).toMatchObject({ success: true, usage_date: new Date().toISOString().slice(0, 10) });
    expect(first.orgs_processed).toBe(first.orgs_created + first.orgs_skipped);
    expect(first.details).toContainEqual({ org_slug: k.org, created: true });
    const second = (await post('/api/v1/admin/quota/reset-daily')).json();
    expect(second).toMatchObject({ success: true, orgs_created: 0, orgs_processed: first.orgs_processed });
    expect(second.details).toContainEqual({ org_slug: k.org, created: false });
    const withOrgKey = await post('/api/v1/quota/reset-daily', { 'x-api-key': k.key });
    expect(withOrgKey.statusCode).toBe(401);
  });

  it('refuses a query parameter on the jobs, naming it, rather than acting on today', async () => {
    for (const path of [
      '/api/v1/quota/reset-daily',
      '/api/v1/admin/quota/reset-monthly',
      '/api/v1/quota/cleanup-stale',
    ]) {
      const res = await post(`${path}?date=2026-01-01`);
      expect({ path, status: res.statusCode, type: res.headers['content-type'] }).toEqual({
        path,
        status: 422,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(res.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'date', message: expect.stringContaining('date') }],
      });
    }
  });

  it('resets monthly only on the 1st, and then zeroes nothing: the month is the sum of its days', async () => {
    const maintenance = suite.t.app.get(QuotaMaintenanceService);
    expect(await maintenance.resetMonthly(new Date('2024-06-02T00:05:00Z'))).toMatchObject({
      success: true,
      orgsProcessed: 0,
      message: 'Skipped: Not the 1st of the month (day=2)',
    });
    const k = await anOrg();
    const first = await maintenance.resetMonthly(new Date('2024-06-01T00:05:00Z'));
    expect(first.message).toMatch(/^Monthly usage for 2024-06 starts at 0/);
    expect(first.details).toContainEqual({ orgSlug: k.org, created: true });
    const http = (await post('/api/v1/quota/reset-monthly')).json();
    const day = new Date().getUTCDate();
    expect(http.message).toBe(
      day === 1 ? expect.stringMatching(/^Monthly usage/) : `Skipped: Not the 1st of the month (day=${day})`,
    );
  });
});
