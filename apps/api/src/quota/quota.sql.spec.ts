import { loadPlanLimits } from '#tenancy-db';
import type { QuotaDb } from '#test/quota-db';
import { at, engines, quotaSqlHelpers, T0 } from '#test/quota-sql';

describe.each(engines)('quota SQL functions on $name', (engine) => {
  let q: QuotaDb;
  const { anOrg, reserve } = quotaSqlHelpers(() => q);

  beforeAll(async () => {
    q = await engine.open();
  });
  afterAll(() => q.close());

  it('seeds plan defaults equal to configs/plans.json, and re-syncs them when they drift', async () => {
    const plans = await loadPlanLimits();
    expect(await q.repo.syncPlanLimits(plans)).toEqual([]);
    await q.db.update('plan_limits', { plan: 'SCALE' }, { daily_limit: 1 });
    expect(await q.repo.syncPlanLimits(plans)).toEqual(['SCALE']);
    const [scale] = await q.db.select('plan_limits', { plan: 'SCALE' });
    expect(scale).toMatchObject({ daily_limit: 100, monthly_limit: 3000, concurrent_limit: 5 });
  });

  it("takes the plan's default for a limit not set (NULL or 0) and the org's own value otherwise", async () => {
    const org = await anOrg({ plan: 'PROFESSIONAL', pipelines_per_day_limit: 9, seat_limit: 0 });
    const s = await q.repo.state(org, at(T0));
    expect(s?.limits).toEqual({ daily: 9, monthly: 750, concurrent: 2, seats: 6, providers: 6 });
    expect(s).toMatchObject({ plan: 'PROFESSIONAL', dailyUsed: 0, monthlyUsed: 0, concurrentUsed: 0 });
    // A row as the dashboard's signup leaves it: the monthly limit at its column default, 0.
    const dashboard = await anOrg({ pipelines_per_month_limit: 0, concurrent_pipelines_limit: 2 });
    expect(await reserve(dashboard, 'a', T0)).toMatchObject({
      granted: true,
      counts: { monthlyLimit: 180, concurrentLimit: 2 },
    });
  });

  it('refuses the run past the concurrent limit until the oldest reservation expires or completes', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 2 });
    expect((await reserve(org, 'a', T0, 600)).granted).toBe(true);
    expect((await reserve(org, 'b', '2024-03-15T10:05:00Z', 600)).granted).toBe(true);
    const refused = await reserve(org, 'c', '2024-03-15T10:06:00Z');
    expect(refused).toMatchObject({
      granted: false,
      reason: 'QUOTA_CONCURRENT_EXCEEDED',
      reservationId: null,
      retryAfterSeconds: 240,
      counts: { concurrentUsed: 2, concurrentLimit: 2, dailyUsed: 2 },
    });
    expect((await reserve(org, 'c', '2024-03-15T10:10:00Z')).granted).toBe(true);
    expect((await q.repo.complete(org, { runId: 'b' }, 'SUCCESS', at('2024-03-15T10:11:00Z')))?.outcome).toBe(
      'completed',
    );
    expect((await reserve(org, 'd', '2024-03-15T10:12:00Z')).counts).toMatchObject({ concurrentUsed: 2 });
  });

  it('refuses past the daily limit until the next UTC midnight; a FAILED run gives its count back', async () => {
    const org = await anOrg({ pipelines_per_day_limit: 2, concurrent_pipelines_limit: 5 });
    await reserve(org, 'a', '2024-03-15T22:00:00Z');
    await reserve(org, 'b', '2024-03-15T22:00:00Z');
    expect(await reserve(org, 'c', '2024-03-15T23:00:00Z')).toMatchObject({
      granted: false,
      reason: 'QUOTA_DAILY_EXCEEDED',
      retryAfterSeconds: 3600,
    });
    await q.repo.complete(org, { runId: 'a' }, 'FAILED', at('2024-03-15T23:01:00Z'));
    expect((await reserve(org, 'c', '2024-03-15T23:02:00Z')).granted).toBe(true);
    expect(await reserve(org, 'd', '2024-03-16T00:00:00Z')).toMatchObject({
      granted: true,
      reservationDate: '2024-03-16',
      counts: { dailyUsed: 1, monthlyUsed: 3 },
    });
  });

  it('derives the month from its days: refuses past the monthly limit until the 1st, then starts at 0', async () => {
    const org = await anOrg({ pipelines_per_month_limit: 3, concurrent_pipelines_limit: 9 });
    await reserve(org, 'a', '2024-02-27T10:00:00Z');
    await reserve(org, 'b', '2024-02-28T10:00:00Z');
    await reserve(org, 'c', '2024-02-29T10:00:00Z');
    expect(await reserve(org, 'd', '2024-02-29T12:00:00Z')).toMatchObject({
      granted: false,
      reason: 'QUOTA_MONTHLY_EXCEEDED',
      retryAfterSeconds: 12 * 3600,
      counts: { monthlyUsed: 3, dailyUsed: 1 },
    });
    expect(await reserve(org, 'd', '2024-03-01T00:00:01Z')).toMatchObject({
      granted: true,
      counts: { monthlyUsed: 1, dailyUsed: 1 },
    });
  });

  it('names the exhausted limit that frees last, and gives no retry time for a limit of 0', async () => {
    const org = await anOrg({ pipelines_per_day_limit: 1, concurrent_pipelines_limit: 1 });
    await reserve(org, 'a', '2024-03-15T23:00:00Z', 7200);
    expect(await reserve(org, 'b', '2024-03-15T23:30:00Z')).toMatchObject({
      reason: 'QUOTA_CONCURRENT_EXCEEDED',
      retryAfterSeconds: 5400,
    });
    const other = await anOrg({ pipelines_per_day_limit: 1, concurrent_pipelines_limit: 1 });
    await reserve(other, 'a', '2024-03-15T23:00:00Z', 600);
    expect(await reserve(other, 'b', '2024-03-15T23:01:00Z')).toMatchObject({
      reason: 'QUOTA_DAILY_EXCEEDED',
      retryAfterSeconds: 59 * 60,
    });
    // A plan's own limit of 0 never frees (an org's stored 0 is "not set", the plan's value).
    const [enterprise] = await q.db.select('plan_limits', { plan: 'ENTERPRISE' });
    await q.db.update('plan_limits', { plan: 'ENTERPRISE' }, { concurrent_limit: 0 });
    try {
      const none = await anOrg({ plan: 'ENTERPRISE', concurrent_pipelines_limit: 0 });
      expect(await reserve(none, 'a', T0)).toMatchObject({
        granted: false,
        reason: 'QUOTA_CONCURRENT_EXCEEDED',
        retryAfterSeconds: null,
      });
    } finally {
      await q.db.update(
        'plan_limits',
        { plan: 'ENTERPRISE' },
        { concurrent_limit: enterprise.concurrent_limit },
      );
    }
  });

  it('says a slot frees when enough runs have ended for one more, after a plan change lowered the concurrent limit', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 3, pipelines_per_day_limit: 9 });
    await reserve(org, 'a', T0, 600);
    await reserve(org, 'b', T0, 1200);
    await reserve(org, 'c', T0, 1800);
    await q.db.update('organizations', { org_slug: org }, { concurrent_pipelines_limit: 1 });
    // Three live, one allowed: a slot frees when the third ends, 30 minutes after T0.
    expect(await reserve(org, 'd', '2024-03-15T10:01:00Z')).toMatchObject({
      granted: false,
      reason: 'QUOTA_CONCURRENT_EXCEEDED',
      retryAfterSeconds: 1740,
      counts: { concurrentUsed: 3, concurrentLimit: 1 },
    });
    const nextSlot = async () => (await q.repo.state(org, at('2024-03-15T10:01:00Z')))?.oldestLiveExpiresAt;
    expect(await nextSlot()).toBe('2024-03-15T10:30:00.000Z');
    await q.db.update('organizations', { org_slug: org }, { concurrent_pipelines_limit: 2 });
    expect(await reserve(org, 'd', '2024-03-15T10:01:00Z')).toMatchObject({ retryAfterSeconds: 1140 });
    expect(await nextSlot()).toBe('2024-03-15T10:20:00.000Z');
    await q.db.update('organizations', { org_slug: org }, { concurrent_pipelines_limit: 5 });
    expect(await nextSlot()).toBe('2024-03-15T10:10:00.000Z');
    await q.db.update('organizations', { org_slug: org }, { concurrent_pipelines_limit: 2 });
    expect((await reserve(org, 'd', '2024-03-15T10:20:00Z')).granted).toBe(true);
  });

  it('answers a retried run id with the first grant and takes nothing more', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 3 });
    const first = await reserve(org, 'run-1', T0);
    const again = await reserve(org, 'run-1', '2024-03-15T10:01:00Z');
    expect(again).toMatchObject({
      granted: true,
      replayed: true,
      reservationId: first.reservationId,
      reservationDate: first.reservationDate,
      expiresAt: first.expiresAt,
      counts: { dailyUsed: 1, concurrentUsed: 1 },
    });
    expect(await reserve(org, 'run-1', T0, 1800, 'another_pipeline')).toMatchObject({
      granted: false,
      reason: 'RUN_ID_CONFLICT',
    });
    expect((await q.db.select('pipeline_reservations', { org_slug: org })).length).toBe(1);
  });

  it('refuses an unknown org and an inactive or ended-trial subscription, taking nothing', async () => {
    expect(await reserve('no_such_org', 'a', T0)).toMatchObject({
      granted: false,
      reason: 'ORG_NOT_FOUND',
      counts: null,
    });
    const canceled = await anOrg({ billing_status: 'canceled' });
    expect((await reserve(canceled, 'a', T0)).reason).toBe('SUBSCRIPTION_INACTIVE');
    const ended = await anOrg({ billing_status: 'trialing', trial_ends_at: '2024-03-14T00:00:00Z' });
    expect((await reserve(ended, 'a', T0)).reason).toBe('SUBSCRIPTION_INACTIVE');
    const lastDay = await anOrg({ billing_status: 'trialing', trial_ends_at: '2024-03-15T00:00:00Z' });
    expect((await reserve(lastDay, 'a', T0)).granted).toBe(true);
    expect(await q.repo.state(canceled, at(T0))).toMatchObject({ dailyUsed: 0, concurrentUsed: 0 });
  });

  it('re-admits an expired run id under the concurrent limit only, counting it once', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 1, pipelines_per_day_limit: 1 });
    const first = await reserve(org, 'lapsed', T0, 60);
    // Expired at 10:01; another run holds the only slot until it completes.
    expect((await reserve(org, 'other', '2024-03-15T10:02:00Z')).reason).toBe('QUOTA_DAILY_EXCEEDED');
    await q.db.update('organizations', { org_slug: org }, { pipelines_per_day_limit: 5 });
    await reserve(org, 'other', '2024-03-15T10:02:00Z');
    expect(await reserve(org, 'lapsed', '2024-03-15T10:03:00Z')).toMatchObject({
      granted: false,
      reason: 'QUOTA_CONCURRENT_EXCEEDED',
    });
    await q.repo.complete(org, { runId: 'other' }, 'SUCCESS', at('2024-03-15T10:04:00Z'));
    await q.repo.expireStale(1000, at('2024-03-15T10:05:00Z'));
    expect(first.readmitted).toBe(false);
    const again = await reserve(org, 'lapsed', '2024-03-15T10:06:00Z', 600);
    expect(again).toMatchObject({
      granted: true,
      replayed: false,
      readmitted: true,
      reservationId: first.reservationId,
      reservationDate: '2024-03-15',
      counts: { dailyUsed: 2, concurrentUsed: 1 },
    });
    expect(Date.parse(again.expiresAt as string)).toBe(Date.parse('2024-03-15T10:16:00Z'));
    // It holds the slot again, and completes once like any run.
    expect((await reserve(org, 'third', '2024-03-15T10:07:00Z')).reason).toBe('QUOTA_CONCURRENT_EXCEEDED');
    expect(
      (await q.repo.complete(org, { runId: 'lapsed' }, 'SUCCESS', at('2024-03-15T10:08:00Z')))?.outcome,
    ).toBe('completed');
    expect((await reserve(org, 'third', '2024-03-15T10:09:00Z')).granted).toBe(true);
  });

  it('admits and counts as a new run an expired run id reserved on an earlier day', async () => {
    const org = await anOrg({
      concurrent_pipelines_limit: 1,
      pipelines_per_day_limit: 1,
      pipelines_per_month_limit: 3,
    });
    const first = await reserve(org, 'lapsed', T0, 60);
    await reserve(org, 'today', '2024-03-16T09:00:00Z');
    await q.repo.complete(org, { runId: 'today' }, 'SUCCESS', at('2024-03-16T09:30:00Z'));
    // Today's one run is used up: the run id of yesterday's lapsed run is no way around it, nor
    // around the month's limit (where it counts once).
    expect(await reserve(org, 'lapsed', '2024-03-16T10:00:00Z')).toMatchObject({
      granted: false,
      reason: 'QUOTA_DAILY_EXCEEDED',
      counts: { dailyUsed: 1, monthlyUsed: 2 },
    });
    await q.db.update(
      'organizations',
      { org_slug: org },
      { pipelines_per_day_limit: 5, pipelines_per_month_limit: 1 },
    );
    expect((await reserve(org, 'lapsed', '2024-03-16T10:01:00Z')).reason).toBe('QUOTA_MONTHLY_EXCEEDED');
    await q.db.update('organizations', { org_slug: org }, { pipelines_per_month_limit: 10 });
    expect(await reserve(org, 'lapsed', '2024-03-16T10:02:00Z')).toMatchObject({
      granted: true,
      replayed: false,
      reservationId: first.reservationId,
      reservationDate: '2024-03-16',
      counts: { dailyUsed: 2, monthlyUsed: 2, concurrentUsed: 1 },
    });
    // Counted once, on today's row, where its completion counts too.
    expect((await q.repo.state(org, at('2024-03-15T12:00:00Z')))?.dailyUsed).toBe(0);
    await q.repo.complete(org, { runId: 'lapsed' }, 'FAILED', at('2024-03-16T10:03:00Z'));
    expect(await q.repo.state(org, at('2024-03-16T10:04:00Z'))).toMatchObject({
      dailyUsed: 1,
      dailyFailed: 1,
      monthlyUsed: 1,
      concurrentUsed: 0,
    });
  });
});
