import { startPostgrestServer } from '#test/postgrest-server';
import { type QuotaDb, supabaseEngine } from '#test/quota-db';
import { at, engines, quotaSqlHelpers, T0, url } from '#test/quota-sql';

describe.each(engines)('quota SQL functions on $name', (engine) => {
  let q: QuotaDb;
  const { anOrg, reserve } = quotaSqlHelpers(() => q);

  beforeAll(async () => {
    q = await engine.open();
  });
  afterAll(() => q.close());

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
