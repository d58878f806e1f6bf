import { randomUUID } from 'node:crypto';
import { type DbRow, TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { CENTRAL_DATASET, SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { PipelineRunsRepository } from '../apps/api/src/quota/pipeline-runs.repository.js';
import { QuotaMaintenanceService } from '../apps/api/src/quota/quota-maintenance.service.js';
import { QuotaRepository } from '../apps/api/src/quota/quota.repository.js';

const NO_LIMITS = {
  RATE_LIMIT_WRITES_PER_MINUTE: '10000',
  RATE_LIMIT_READS_PER_MINUTE: '10000',
  RATE_LIMIT_ADMIN_PER_MINUTE: '10000',
};

/** A row of the pipeline service's run log. */
const runRow = (org: string, id: string, status: string, started: Date) => ({
  pipeline_logging_id: id,
  org_slug: org,
  pipeline_id: 'subscription_costs',
  status,
  start_time: started,
  created_at: started,
});
const runLogOf = (warehouse: Warehouse, org: string) =>
  warehouse.query<{ pipeline_logging_id: string; status: string; error_message: string | null }>(
    `SELECT pipeline_logging_id, status, error_message FROM \`${CENTRAL_DATASET}.org_meta_pipeline_runs\`
     WHERE org_slug = @org ORDER BY pipeline_logging_id`,
    { org },
  );

describe('quota read and the scheduler jobs over the real app', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  let db: TenancyDb;

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
    db = t.app.get<TenancyDb>(TENANCY_DB);
  });
  afterAll(() => t.close());

  const anOrg = async (row: DbRow = {}) => {
    const k = await anOrgWithKey(warehouse);
    await db.insert('organizations', [{ org_slug: k.org, company_name: 'Acme', ...row }]);
    return k;
  };
  const validate = (org: string, key: string, runId: string) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/validator/validate/${org}`,
      headers: { 'x-api-key': key },
      payload: { pipeline_id: 'subscription_costs', pipeline_logging_id: runId },
    });
  const post = (path: string, headers: Record<string, string> = rootHeaders) =>
    t.app.inject({ method: 'POST', url: path, headers });
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

  const runLog = (org: string) => runLogOf(warehouse, org);

  it("reports the org's limits, usage, live runs and configured providers, in both naming styles", async () => {
    const k = await anOrg({ plan: 'PROFESSIONAL', pipelines_per_day_limit: 3 });
    for (const run of ['a', 'b']) expect((await validate(k.org, k.key, run)).json().valid).toBe(true);
    await post(`/api/v1/validator/complete/${k.org}?pipeline_status=SUCCESS&pipeline_logging_id=a`, {
      'x-api-key': k.key,
    });
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_integration_credentials' }, [
      credential(k.org, 'OPENAI'),
      credential(k.org, 'OPENAI'),
      credential(k.org, 'GCP_SA'),
      credential(k.org, 'GEMINI', { validation_status: 'INVALID' }),
      credential(k.org, 'DEEPSEEK', { is_active: false }),
      // Past its expiry, or replaced (deactivation due): not configured any more.
      credential(k.org, 'ANTHROPIC', { expires_at: new Date(Date.now() - 60_000) }),
      credential(k.org, 'AWS_IAM', { deactivation_scheduled_at: new Date(Date.now() - 60_000) }),
    ]);
    const res = await t.app.inject({
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
    const read = (
      await t.app.inject({ method: 'GET', url: `/api/v1/organizations/${k.org}/quota`, headers: rootHeaders })
    ).json();
    expect(read).toMatchObject({
      remaining_today: 0,
      remaining_month: 0,
      daily_limit: 6,
      pipelines_run_today: 2,
    });
  });

  it('lets the root key read any org, refuses another org key, and says 404 for an org without a record', async () => {
    const k = await anOrg();
    const other = await anOrg();
    const byRoot = await t.app.inject({
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
    const cross = await t.app.inject({
      method: 'GET',
      url: `/api/v1/organizations/${k.org}/quota`,
      headers: { 'x-api-key': other.key },
    });
    expect({ status: cross.statusCode, code: cross.json().code }).toEqual({
      status: 403,
      code: 'ORG_FORBIDDEN',
    });
    const missing = await t.app.inject({
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
    const maintenance = t.app.get(QuotaMaintenanceService);
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

  it('fails by age the open runs no reservation names, and not a live run or a recent one', async () => {
    const k = await anOrg({ concurrent_pipelines_limit: 5 });
    const quota = t.app.get(QuotaRepository);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    // A run that heartbeats: reserved two hours ago for three hours, still live.
    await quota.reserve(k.org, 'aged-live', 'subscription_costs', 3 * 3600, hoursAgo(2));
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
      // The pipeline service's own id, which it never sent to validate.
      runRow(k.org, 'aged-unnamed', 'RUNNING', hoursAgo(2)),
      runRow(k.org, 'aged-live', 'RUNNING', hoursAgo(2)),
      runRow(k.org, 'recent-unnamed', 'RUNNING', hoursAgo(0.25)),
    ]);
    const res = (await post('/api/v1/quota/cleanup-stale')).json();
    expect(res).toMatchObject({ success: true, runs_marked_failed_by_age: 1 });
    expect(res.message).toMatch(/1 runs open for over an hour without a reservation marked FAILED$/);
    const rows = await runLog(k.org);
    expect(rows).toEqual([
      {
        pipeline_logging_id: 'aged-live',
        status: 'RUNNING',
        error_message: null,
      },
      {
        pipeline_logging_id: 'aged-unnamed',
        status: 'FAILED',
        error_message: 'Marked failed by stale cleanup - no completion after 60 minutes',
      },
      { pipeline_logging_id: 'recent-unnamed', status: 'RUNNING', error_message: null },
    ]);
  });

  it("fails by age an org's open run that another org's live reservation of the same run id does not name", async () => {
    const a = await anOrg({ concurrent_pipelines_limit: 5 });
    const b = await anOrg({ concurrent_pipelines_limit: 5 });
    const quota = t.app.get(QuotaRepository);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    // Run ids are the pipeline service's, unique within an org: b's run of that id is live.
    await quota.reserve(b.org, 'shared-run', 'subscription_costs', 3 * 3600, hoursAgo(2));
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
      runRow(a.org, 'shared-run', 'RUNNING', hoursAgo(2)),
      runRow(b.org, 'shared-run', 'RUNNING', hoursAgo(2)),
    ]);
    expect((await post('/api/v1/quota/cleanup-stale')).json()).toMatchObject({ success: true });
    expect(await runLog(a.org)).toEqual([
      {
        pipeline_logging_id: 'shared-run',
        status: 'FAILED',
        error_message: 'Marked failed by stale cleanup - no completion after 60 minutes',
      },
    ]);
    expect(await runLog(b.org)).toEqual([
      { pipeline_logging_id: 'shared-run', status: 'RUNNING', error_message: null },
    ]);
  });

  it('puts back the run row the cleanup failed when the run is validated again with its run id', async () => {
    const k = await anOrg({ concurrent_pipelines_limit: 5 });
    const quota = t.app.get(QuotaRepository);
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    await quota.reserve(k.org, 'lapsed-run', 'subscription_costs', 60, longAgo);
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
      runRow(k.org, 'lapsed-run', 'RUNNING', longAgo),
      // Failed by the pipeline service itself: never put back.
      { ...runRow(k.org, 'own-failure', 'FAILED', longAgo), error_message: 'boom' },
    ]);
    await post('/api/v1/quota/cleanup-stale');
    expect((await runLog(k.org)).find((r) => r.pipeline_logging_id === 'lapsed-run')?.status).toBe('FAILED');
    // Its heartbeat lapsed but it still runs: it asks for its slot again.
    expect((await validate(k.org, k.key, 'lapsed-run')).json()).toMatchObject({ valid: true });
    expect(await runLog(k.org)).toEqual([
      { pipeline_logging_id: 'lapsed-run', status: 'RUNNING', error_message: null },
      { pipeline_logging_id: 'own-failure', status: 'FAILED', error_message: 'boom' },
    ]);
  });

  it('puts back a run admitted again while the cleanup was marking it FAILED', async () => {
    const k = await anOrg({ concurrent_pipelines_limit: 5 });
    const quota = t.app.get(QuotaRepository);
    const runs = t.app.get(PipelineRunsRepository);
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    await quota.reserve(k.org, 'racing-run', 'subscription_costs', 60, longAgo);
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
      runRow(k.org, 'racing-run', 'RUNNING', longAgo),
    ]);
    // The run asks for its slot again between the expiry and the marking of its row: its own
    // reopening finds nothing to put back yet.
    const mark = runs.markRunsFailed.bind(runs);
    const spy = vi.spyOn(runs, 'markRunsFailed').mockImplementation(async (org, ...rest) => {
      if (org === k.org)
        expect((await validate(k.org, k.key, 'racing-run')).json()).toMatchObject({ valid: true });
      return mark(org, ...rest);
    });
    try {
      await post('/api/v1/quota/cleanup-stale');
    } finally {
      spy.mockRestore();
    }
    expect(await runLog(k.org)).toEqual([
      { pipeline_logging_id: 'racing-run', status: 'RUNNING', error_message: null },
    ]);
  });

  it('records expired reservations, marks their open runs FAILED, and retries the run log when it was unavailable', async () => {
    const k = await anOrg({ concurrent_pipelines_limit: 5 });
    const quota = t.app.get(QuotaRepository);
    const longAgo = new Date(Date.now() - 3 * 3_600_000);
    for (const run of ['stale-open', 'stale-done'])
      await quota.reserve(k.org, run, 'subscription_costs', 60, longAgo);
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
      runRow(k.org, 'stale-open', 'RUNNING', longAgo),
      runRow(k.org, 'stale-done', 'COMPLETED', longAgo),
    ]);
    const res = (await post('/api/v1/quota/cleanup-stale')).json();
    expect(res.details).toContainEqual({
      org_slug: k.org,
      reservations_expired: 2,
      runs_marked_failed: 1,
      error: null,
    });
    const rows = await runLog(k.org);
    expect(rows).toEqual([
      { pipeline_logging_id: 'stale-done', status: 'COMPLETED', error_message: null },
      {
        pipeline_logging_id: 'stale-open',
        status: 'FAILED',
        error_message: 'Marked failed by stale cleanup - the quota reservation expired without a completion',
      },
    ]);
    const again = (await post('/api/v1/admin/quota/cleanup-stale')).json();
    expect(again.details.filter((d: { org_slug: string }) => d.org_slug === k.org)).toEqual([]);

    // The run log is unavailable: the expiry is reported as not recorded and returned next time.
    await quota.reserve(k.org, 'stale-later', 'subscription_costs', 60, longAgo);
    await warehouse.dropTable(CENTRAL_DATASET, 'org_meta_pipeline_runs');
    const partial = (await post('/api/v1/quota/cleanup-stale')).json();
    expect(partial).toMatchObject({ success: false, message: expect.stringMatching(/^Partial/) });
    expect(partial.details).toContainEqual(
      expect.objectContaining({ org_slug: k.org, runs_marked_failed: 0, error: expect.any(String) }),
    );
    await warehouse.ensureTable(
      CENTRAL_DATASET,
      t.app.get(SchemaRegistry).centralTable('org_meta_pipeline_runs'),
    );
    const retried = (await post('/api/v1/quota/cleanup-stale')).json();
    expect(retried.success).toBe(true);
    expect(retried.details).toContainEqual({
      org_slug: k.org,
      reservations_expired: 1,
      runs_marked_failed: 0,
      error: null,
    });
    expect((await quota.state(k.org))?.concurrentUsed).toBe(0);
  });
});

describe('the stale cleanup with a reservation hold longer than the default', () => {
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp({ ...NO_LIMITS, QUOTA_RESERVATION_TTL_SECONDS: '5400' });
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  it('leaves open the unnamed runs a reservation may still hold, and fails them after twice the hold', async () => {
    const k = await anOrgWithKey(warehouse);
    await t.app
      .get<TenancyDb>(TENANCY_DB)
      .insert('organizations', [{ org_slug: k.org, company_name: 'Acme', concurrent_pipelines_limit: 5 }]);
    // The pipeline service validates without its run id: the reservation holds a made-up one,
    // for the configured 90 minutes.
    const validated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/validator/validate/${k.org}`,
      headers: { 'x-api-key': k.key },
      payload: { pipeline_id: 'subscription_costs' },
    });
    expect(validated.json()).toMatchObject({ valid: true });
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
      runRow(k.org, 'running-65-minutes', 'RUNNING', minutesAgo(65)),
      runRow(k.org, 'running-4-hours', 'RUNNING', minutesAgo(240)),
    ]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/quota/cleanup-stale',
      headers: rootHeaders,
    });
    expect(res.json()).toMatchObject({ success: true, runs_marked_failed_by_age: 1 });
    expect(res.json().message).toMatch(
      /1 runs open for over 180 minutes without a reservation marked FAILED$/,
    );
    expect(await runLogOf(warehouse, k.org)).toEqual([
      {
        pipeline_logging_id: 'running-4-hours',
        status: 'FAILED',
        error_message: 'Marked failed by stale cleanup - no completion after 180 minutes',
      },
      { pipeline_logging_id: 'running-65-minutes', status: 'RUNNING', error_message: null },
    ]);
  });
});
