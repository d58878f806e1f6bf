import { loadPlanLimits } from '#tenancy-db';
import { startPostgrestServer } from '#test/postgrest-server';
import { type QuotaDb, quotaEngines, supabaseEngine } from '#test/quota-db';

const url = process.env.TEST_DATABASE_URL;
const engines = quotaEngines(url ? [supabaseEngine(url, startPostgrestServer)] : []);
const at = (iso: string) => new Date(iso);
const T0 = '2024-03-15T10:00:00Z';

describe.each(engines)('quota SQL functions on $name', (engine) => {
  let q: QuotaDb;
  let n = 0;
  /** A fresh org per test: tests never see each other's usage. */
  const anOrg = async (extra: Record<string, string | number | null> = {}) => {
    const slug = `org_${++n}_${Math.random().toString(36).slice(2, 8)}`;
    await q.org(slug, extra);
    return slug;
  };
  const reserve = (org: string, run: string, now: string, ttl = 1800, pipeline = 'p1') =>
    q.repo.reserve(org, run, pipeline, ttl, at(now));

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

  it('completes once; a run completed after midnight stays counted on the day it was reserved', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 5 });
    const r = await reserve(org, 'late', '2024-03-15T23:50:00Z', 3600);
    const done = await q.repo.complete(org, { runId: 'late' }, 'FAILED', at('2024-03-16T00:20:00Z'));
    expect(done).toMatchObject({ outcome: 'completed', status: 'FAILED', reservationDate: '2024-03-15' });
    const repeat = await q.repo.complete(org, { reservationId: r.reservationId as string }, 'SUCCESS');
    expect(repeat).toMatchObject({
      outcome: 'already_completed',
      status: 'FAILED',
      completedAt: done?.completedAt,
    });
    const days = await q.db.select('pipeline_quota_daily', { org_slug: org });
    expect(days.map((d) => [d.usage_date, d.pipelines_run, d.pipelines_failed])).toEqual([
      ['2024-03-15', 0, 1],
    ]);
    expect(await q.repo.complete(org, { runId: 'nope' }, 'SUCCESS')).toBeNull();
    expect(
      await q.repo.complete(org, { reservationId: r.reservationId as string, runId: 'other' }, 'SUCCESS'),
    ).toBeNull();
  });

  it('completes the oldest open run of the day when a legacy call names only the day', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 5 });
    await reserve(org, 'first', T0);
    await reserve(org, 'second', '2024-03-15T10:05:00Z');
    const a = await q.repo.complete(org, { reservationDate: '2024-03-15' }, 'SUCCESS');
    const b = await q.repo.complete(org, { reservationDate: '2024-03-15' }, 'SUCCESS');
    expect([a?.runId, b?.runId]).toEqual(['first', 'second']);
    expect(await q.repo.complete(org, { reservationDate: '2024-03-15' }, 'SUCCESS')).toBeNull();
  });

  it('closes a live run of the day before one past its expiry when a legacy call names only the day', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 1 });
    await reserve(org, 'crashed', T0, 60);
    // The crashed run expired at 10:01; the next one took the only slot.
    expect((await reserve(org, 'running', '2024-03-15T10:05:00Z')).granted).toBe(true);
    const done = await q.repo.complete(
      org,
      { reservationDate: '2024-03-15' },
      'SUCCESS',
      at('2024-03-15T10:10:00Z'),
    );
    expect(done).toMatchObject({ outcome: 'completed', runId: 'running' });
    // Its slot is free again at once, not at its expiry.
    expect((await reserve(org, 'after', '2024-03-15T10:11:00Z')).granted).toBe(true);
  });

  it('completes the latest run past its expiry, never a live one, when a call names no run', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 5 });
    await reserve(org, 'stuck-early', T0, 60);
    await reserve(org, 'stuck-late', '2024-03-15T10:02:00Z', 60);
    await reserve(org, 'live', '2024-03-15T10:04:00Z');
    const now = at('2024-03-15T10:10:00Z');
    const first = await q.repo.complete(org, {}, 'FAILED', now);
    const second = await q.repo.complete(org, {}, 'FAILED', now);
    expect([first?.runId, second?.runId]).toEqual(['stuck-late', 'stuck-early']);
    expect(await q.repo.complete(org, {}, 'FAILED', now)).toBeNull();
    expect(await q.repo.state(org, now)).toMatchObject({ dailyUsed: 1, concurrentUsed: 1 });
  });

  it('refuses a run id whose run completed, taking nothing', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 5 });
    await reserve(org, 'done', T0);
    await q.repo.complete(org, { runId: 'done' }, 'SUCCESS', at('2024-03-15T10:01:00Z'));
    expect(await reserve(org, 'done', '2024-03-15T10:02:00Z')).toMatchObject({
      granted: false,
      replayed: false,
      reason: 'RUN_ID_FINISHED',
      counts: { dailyUsed: 1, concurrentUsed: 0 },
    });
    expect((await q.db.select('pipeline_reservations', { org_slug: org })).length).toBe(1);
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

  it('extends a live run on heartbeat and refuses to revive a completed or expired one', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 1 });
    await reserve(org, 'long', T0, 600);
    const beat = await q.repo.heartbeat(org, { runId: 'long' }, 1800, at('2024-03-15T10:09:00Z'));
    expect(beat).toMatchObject({ outcome: 'extended', result: { expiresAt: '2024-03-15T10:39:00.000Z' } });
    expect((await reserve(org, 'next', '2024-03-15T10:20:00Z')).reason).toBe('QUOTA_CONCURRENT_EXCEEDED');
    expect(await q.repo.heartbeat(org, { runId: 'long' }, 1800, at('2024-03-15T10:40:00Z'))).toEqual({
      outcome: 'not_live',
      status: 'EXPIRED',
    });
    expect((await reserve(org, 'next', '2024-03-15T10:41:00Z')).granted).toBe(true);
    await q.repo.complete(org, { runId: 'next' }, 'SUCCESS', at('2024-03-15T10:42:00Z'));
    expect(await q.repo.heartbeat(org, { runId: 'next' }, 1800)).toEqual({
      outcome: 'not_live',
      status: 'SUCCESS',
    });
    expect(await q.repo.heartbeat(org, { runId: 'ghost' }, 1800)).toEqual({ outcome: 'not_found' });
  });

  it('returns expired reservations until their expiry is recorded; a late completion still counts once', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 5 });
    await reserve(org, 'stale', '2020-01-01T10:00:00Z', 60);
    const mine = <T extends { orgSlug: string }>(rows: T[]) => rows.filter((r) => r.orgSlug === org);
    const first = mine(await q.repo.expireStale(1000, at('2020-01-01T11:00:00Z')));
    expect(first).toMatchObject([{ runId: 'stale', newlyExpired: true, reservationDate: '2020-01-01' }]);
    const again = mine(await q.repo.expireStale(1000, at('2020-01-01T12:00:00Z')));
    expect(again).toMatchObject([{ runId: 'stale', newlyExpired: false }]);
    expect(await q.repo.recordExpiry([first[0].reservationId])).toBe(1);
    expect(mine(await q.repo.expireStale(1000, at('2020-01-01T13:00:00Z')))).toEqual([]);
    expect(await q.repo.complete(org, { runId: 'stale' }, 'FAILED')).toMatchObject({ outcome: 'completed' });
    const [day] = await q.db.select('pipeline_quota_daily', { org_slug: org });
    expect(day).toMatchObject({ pipelines_run: 0, pipelines_failed: 1 });
  });

  it("creates each org's usage row for the day once, however often the reset runs", async () => {
    const org = await anOrg();
    const first = await q.repo.ensurePeriodRows(at('2031-07-01T00:00:00Z'));
    expect(first.find((r) => r.orgSlug === org)).toEqual({
      orgSlug: org,
      usageDate: '2031-07-01',
      created: true,
    });
    const second = await q.repo.ensurePeriodRows(at('2031-07-01T00:05:00Z'));
    expect(second.every((r) => !r.created)).toBe(true);
    expect(second.length).toBe(first.length);
  });

  it('lists the org and run id of the reservations still RESERVED, as one row on every driver', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 5 });
    await reserve(org, `${org}-live`, T0);
    await reserve(org, `${org}-done`, T0);
    await q.repo.complete(org, { runId: `${org}-done` }, 'SUCCESS', at('2024-03-15T10:01:00Z'));
    const live = await q.repo.liveRuns();
    expect(live).toContainEqual({ orgSlug: org, runId: `${org}-live` });
    expect(live.filter((r) => r.orgSlug === org)).toEqual([{ orgSlug: org, runId: `${org}-live` }]);
  });

  it("moves an org's reservations with a renamed org and deletes them with a deleted one", async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 5 });
    await reserve(org, 'a', T0);
    await reserve(org, 'b', T0);
    const renamed = `${org}_renamed`;
    await q.db.update('organizations', { org_slug: org }, { org_slug: renamed });
    expect(await q.db.select('pipeline_reservations', { org_slug: org })).toEqual([]);
    expect((await q.db.select('pipeline_reservations', { org_slug: renamed })).length).toBe(2);
    await q.db.delete('organizations', { org_slug: renamed });
    expect(await q.db.select('pipeline_reservations', { org_slug: renamed })).toEqual([]);
  });

  it('prunes only finished reservations of days before the cutoff', async () => {
    const org = await anOrg({ concurrent_pipelines_limit: 5 });
    await reserve(org, 'old-done', '2019-01-01T10:00:00Z');
    await reserve(org, 'old-open', '2019-01-01T10:00:00Z', 86_400 * 365 * 20);
    await reserve(org, 'new-done', '2019-06-01T10:00:00Z');
    await q.repo.complete(org, { runId: 'old-done' }, 'SUCCESS');
    await q.repo.complete(org, { runId: 'new-done' }, 'SUCCESS');
    await q.repo.pruneReservations('2019-03-01');
    const left = await q.db.select('pipeline_reservations', { org_slug: org }, { columns: ['run_id'] });
    expect(left.map((r) => r.run_id).sort()).toEqual(['new-done', 'old-open']);
  });
});

describe.runIf(url)("the daily reset's report through PostgREST's max-rows", () => {
  let q: QuotaDb;
  beforeAll(async () => {
    // Supabase caps every read at 1000 rows; 3 here, so a handful of orgs goes past it.
    const engine = supabaseEngine(url as string, (o) => startPostgrestServer({ ...o, maxRows: 3 }));
    q = await engine.open();
  });
  afterAll(() => q?.close());

  it('reports every org, past the cap on rows', async () => {
    const orgs = ['org_a', 'org_b', 'org_c', 'org_d', 'org_e'];
    for (const org of orgs) await q.org(org);
    const report = await q.repo.ensurePeriodRows(at('2031-08-01T00:00:00Z'));
    expect(report).toEqual(orgs.map((orgSlug) => ({ orgSlug, usageDate: '2031-08-01', created: true })));
    expect((await q.repo.ensurePeriodRows(at('2031-08-01T00:05:00Z'))).map((r) => r.created)).toEqual(
      orgs.map(() => false),
    );
  });
});
