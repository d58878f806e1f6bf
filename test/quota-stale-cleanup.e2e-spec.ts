import { TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { CENTRAL_DATASET, SchemaRegistry, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { NO_LIMITS, quotaApp, runLogOf, runRow } from '#test/quota-app';
import { rootHeaders, startTestApp, type TestApp } from '#test/test-app';
import { PipelineRunsRepository } from '../apps/api/src/quota/pipeline-runs.repository.js';
import { QuotaRepository } from '../apps/api/src/quota/quota.repository.js';

describe('quota read and the scheduler jobs over the real app', () => {
  const suite = quotaApp();
  const { anOrg, validate, post } = suite;
  const runLog = (org: string) => runLogOf(suite.warehouse, org);

  it('fails by age the open runs no reservation names, and not a live run or a recent one', async () => {
    const k = await anOrg({ concurrent_pipelines_limit: 5 });
    const quota = suite.t.app.get(QuotaRepository);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    // A run that heartbeats: reserved two hours ago for three hours, still live.
    await quota.reserve(k.org, 'aged-live', 'subscription_costs', 3 * 3600, hoursAgo(2));
    await suite.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
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
    const quota = suite.t.app.get(QuotaRepository);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    // Run ids are the pipeline service's, unique within an org: b's run of that id is live.
    await quota.reserve(b.org, 'shared-run', 'subscription_costs', 3 * 3600, hoursAgo(2));
    await suite.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
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
    const quota = suite.t.app.get(QuotaRepository);
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    await quota.reserve(k.org, 'lapsed-run', 'subscription_costs', 60, longAgo);
    await suite.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
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
    const quota = suite.t.app.get(QuotaRepository);
    const runs = suite.t.app.get(PipelineRunsRepository);
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    await quota.reserve(k.org, 'racing-run', 'subscription_costs', 60, longAgo);
    await suite.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
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
    const quota = suite.t.app.get(QuotaRepository);
    const longAgo = new Date(Date.now() - 3 * 3_600_000);
    for (const run of ['stale-open', 'stale-done'])
      await quota.reserve(k.org, run, 'subscription_costs', 60, longAgo);
    await suite.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
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
    await suite.warehouse.dropTable(CENTRAL_DATASET, 'org_meta_pipeline_runs');
    const partial = (await post('/api/v1/quota/cleanup-stale')).json();
    expect(partial).toMatchObject({ success: false, message: expect.stringMatching(/^Partial/) });
    expect(partial.details).toContainEqual(
      expect.objectContaining({ org_slug: k.org, runs_marked_failed: 0, error: expect.any(String) }),
    );
    await suite.warehouse.ensureTable(
      CENTRAL_DATASET,
      suite.t.app.get(SchemaRegistry).centralTable('org_meta_pipeline_runs'),
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

  it('gives a run it fails by age the duration from its start to the failure, and none to a run put back', async () => {
    const k = await anOrg({ concurrent_pipelines_limit: 5 });
    const started = new Date(Date.now() - 2 * 3_600_000);
    await suite.warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
      runRow(k.org, 'aged-timed', 'RUNNING', started),
    ]);
    const before = Date.now();
    expect((await post('/api/v1/quota/cleanup-stale')).json()).toMatchObject({
      runs_marked_failed_by_age: 1,
    });
    const durationOf = async () => {
      const [row] = await suite.warehouse.query<{
        duration_ms: number | null;
        end_time: unknown;
        error_message: string;
      }>(
        `SELECT duration_ms, end_time, error_message FROM \`${CENTRAL_DATASET}.org_meta_pipeline_runs\`
         WHERE org_slug = @org AND pipeline_logging_id = 'aged-timed'`,
        { org: k.org },
      );
      return row;
    };
    const failed = await durationOf();
    // End time and duration agree: the pipeline logs showed an ended run with no duration.
    expect(failed.end_time).not.toBeNull();
    expect(Number(failed.duration_ms)).toBeGreaterThanOrEqual(before - started.getTime());
    expect(Number(failed.duration_ms)).toBeLessThan(Date.now() - started.getTime() + 1000);
    // Admitted again (its run id validated), it runs on: no end, no duration.
    const runs = suite.t.app.get(PipelineRunsRepository);
    expect(await runs.reopenRun(k.org, 'aged-timed', failed.error_message)).toBe(1);
    expect(await durationOf()).toMatchObject({ duration_ms: null, end_time: null });
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
