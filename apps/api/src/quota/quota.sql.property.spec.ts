import type { PgTenancyDb } from '#tenancy-db';
import { postgresEngine, type QuotaDb, quotaEngines } from '#test/quota-db';
import { dayOf, type ModelLimits, QuotaModel, seededRandom } from '#test/quota-model';
import type { RunStatus } from './quota.types.js';

const START = Date.parse('2024-01-30T20:00:00Z'); // crosses days and a month end early on
const STEPS_MS = [60_000, 7 * 60_000, 45 * 60_000, 3 * 3_600_000, 11 * 3_600_000, 86_400_000];
const TTLS = [60, 600, 3600];
const STATUSES: RunStatus[] = ['SUCCESS', 'FAILED'];

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

async function someOrgs(
  q: QuotaDb,
  rng: Rng,
  label: string,
  count: number,
): Promise<Map<string, ModelLimits>> {
  const orgs = new Map<string, ModelLimits>();
  for (let i = 0; i < count; i++) {
    const slug = `${label}_${i}_${Math.random().toString(36).slice(2, 8)}`;
    const limits = { daily: int(rng, 1, 6), monthly: int(rng, 2, 14), concurrent: int(rng, 1, 3) };
    await q.org(slug, {
      pipelines_per_day_limit: limits.daily,
      pipelines_per_month_limit: limits.monthly,
      concurrent_pipelines_limit: limits.concurrent,
    });
    orgs.set(slug, limits);
  }
  return orgs;
}

/**
 * What must hold in the tables at `now`, whatever happened before: no day, month or live set above
 * its limit, and each day's counters equal to its reservations (counts land on the reservation day).
 */
async function expectInvariants(q: QuotaDb, orgs: Map<string, ModelLimits>, now: number): Promise<void> {
  for (const [org, limits] of orgs) {
    const runs = await q.db.select('pipeline_reservations', { org_slug: org });
    const days = await q.db.select('pipeline_quota_daily', { org_slug: org });
    const months = new Map<string, number>();
    for (const d of days) {
      const ofDay = runs.filter((r) => r.reservation_date === d.usage_date);
      expect({
        org,
        day: d.usage_date,
        run: d.pipelines_run,
        ok: d.pipelines_succeeded,
        ko: d.pipelines_failed,
      }).toEqual({
        org,
        day: d.usage_date,
        run: ofDay.filter((r) => r.status !== 'FAILED').length,
        ok: ofDay.filter((r) => r.status === 'SUCCESS').length,
        ko: ofDay.filter((r) => r.status === 'FAILED').length,
      });
      expect(d.pipelines_run as number).toBeLessThanOrEqual(limits.daily);
      const month = String(d.usage_date).slice(0, 7);
      months.set(month, (months.get(month) ?? 0) + (d.pipelines_run as number));
    }
    for (const used of months.values()) expect(used).toBeLessThanOrEqual(limits.monthly);
    const live = runs.filter((r) => r.status === 'RESERVED' && Date.parse(String(r.expires_at)) > now);
    expect(live.length).toBeLessThanOrEqual(limits.concurrent);
    expect(new Set(runs.map((r) => r.run_id)).size).toBe(runs.length);
    const [state] = await q.db.select('pipeline_quota_state', { org_slug: org });
    expect({ org, reserved: state?.reserved ?? 0 }).toEqual({
      org,
      reserved: runs.filter((r) => r.status === 'RESERVED').length,
    });
  }
}

describe.each(quotaEngines())('quota SQL properties on $name', (engine) => {
  let q: QuotaDb;
  beforeAll(async () => {
    q = await engine.open();
  });
  afterAll(() => q.close());

  it.each([7, 1931, 424242])(
    'answers every call as the model does, across orgs, days and a month end (seed %i)',
    async (seed) => {
      const rng = seededRandom(seed);
      const orgs = await someOrgs(q, rng, `seq${seed}`, 3);
      const model = new QuotaModel();
      for (const [slug, limits] of orgs) model.addOrg(slug, limits);
      const slugs = [...orgs.keys()];
      const runsOf = (org: string) => [...(model.orgs.get(org)?.runs.keys() ?? [])];
      let now = START;
      let next = 0;
      for (let step = 0; step < 260; step++) {
        const org = pick(rng, slugs);
        const roll = rng();
        const ctx = `seed ${seed} step ${step}`;
        if (roll < 0.45) {
          const known = runsOf(org);
          const retry = known.length > 0 && rng() < 0.2;
          const runId = retry ? pick(rng, known) : `run-${next++}`;
          const pipeline =
            retry && rng() < 0.2
              ? 'other_pipeline'
              : (model.orgs.get(org)?.runs.get(runId)?.pipeline ?? 'p1');
          const ttl = pick(rng, TTLS);
          const want = model.reserve(org, runId, pipeline, ttl, now);
          const got = await q.repo.reserve(org, runId, pipeline, ttl, new Date(now));
          expect({
            ctx,
            granted: got.granted,
            reason: got.reason,
            replayed: got.replayed,
            reservationDate: got.reservationDate,
            retryAfterSeconds: got.retryAfterSeconds,
            counts: got.counts && {
              dailyUsed: got.counts.dailyUsed,
              monthlyUsed: got.counts.monthlyUsed,
              concurrentUsed: got.counts.concurrentUsed,
            },
          }).toEqual({ ctx, ...want });
        } else if (roll < 0.7) {
          const runId = rng() < 0.05 ? 'no-such-run' : pick(rng, [...runsOf(org), 'no-such-run']);
          const status = pick(rng, STATUSES);
          const want = model.complete(org, runId, status);
          const got = await q.repo.complete(org, { runId }, status, new Date(now));
          expect({ ctx, outcome: got?.outcome ?? 'not_found', status: got?.status ?? null }).toEqual({
            ctx,
            ...want,
          });
        } else if (roll < 0.8) {
          const runId = pick(rng, [...runsOf(org), 'no-such-run']);
          const ttl = pick(rng, TTLS);
          const want = model.heartbeat(org, runId, ttl, now);
          const got = await q.repo.heartbeat(org, { runId }, ttl, new Date(now));
          expect({ ctx, outcome: got.outcome }).toEqual({ ctx, outcome: want });
        } else if (roll < 0.85) {
          model.expire(now);
          await q.repo.expireStale(1000, new Date(now));
        } else {
          now += pick(rng, STEPS_MS);
        }
        if (step % 40 === 39) await expectInvariants(q, orgs, now);
      }
      await expectInvariants(q, orgs, now);
      // The sequence really crossed days and the month end, and refused and completed some runs.
      expect(dayOf(now) > '2024-02-01').toBe(true);
    },
  );

  it.each([3, 88])(
    'keeps every limit and completes each run once under concurrent batches (seed %i)',
    async (seed) => {
      const rng = seededRandom(seed);
      const orgs = await someOrgs(q, rng, `par${seed}`, 3);
      const slugs = [...orgs.keys()];
      const completions = new Map<string, number>();
      const granted = new Map<string, string>();
      let now = START;
      let next = 0;
      for (let round = 0; round < 18; round++) {
        now += pick(rng, STEPS_MS.slice(0, 4));
        const org = pick(rng, slugs);
        const limits = orgs.get(org) as ModelLimits;
        const known = [...granted.keys()]
          .filter((k) => k.startsWith(`${org}/`))
          .map((k) => k.slice(org.length + 1));
        const calls: Promise<void>[] = [];
        for (let i = int(rng, 4, 14); i > 0; i--) {
          // Several copies of one new run id race each other; a retry of an old id may join them.
          const runId = rng() < 0.2 && known.length ? pick(rng, known) : `p-${next++}`;
          for (let copy = int(rng, 1, 3); copy > 0; copy--) {
            const at = new Date(now + int(rng, 0, 2000));
            calls.push(
              q.repo.reserve(org, runId, 'p1', pick(rng, TTLS), at).then((d) => {
                if (!d.granted) return;
                const c = d.counts;
                expect(c && c.dailyUsed <= c.dailyLimit && c.monthlyUsed <= c.monthlyLimit).toBe(true);
                expect(c && c.concurrentUsed <= c.concurrentLimit).toBe(true);
                const key = `${org}/${runId}`;
                expect(granted.get(key) ?? d.reservationId).toBe(d.reservationId);
                granted.set(key, d.reservationId as string);
              }),
            );
          }
        }
        for (const runId of known.filter(() => rng() < 0.4))
          for (let copy = int(rng, 1, 3); copy > 0; copy--)
            calls.push(
              q.repo.complete(org, { runId }, pick(rng, STATUSES), new Date(now)).then((r) => {
                if (r?.outcome === 'completed')
                  completions.set(`${org}/${runId}`, (completions.get(`${org}/${runId}`) ?? 0) + 1);
              }),
            );
        for (const runId of known.filter(() => rng() < 0.2))
          calls.push(q.repo.heartbeat(org, { runId }, pick(rng, TTLS), new Date(now)).then(() => undefined));
        if (rng() < 0.3) calls.push(q.repo.expireStale(1000, new Date(now)).then(() => undefined));
        await Promise.all(calls);
        await expectInvariants(q, new Map([[org, limits]]), now + 2000);
      }
      expect([...completions.values()].every((n) => n === 1)).toBe(true);
      expect(completions.size).toBeGreaterThan(0);
      await expectInvariants(q, orgs, now + 2000);
    },
  );

  it('grants exactly the concurrent limit to 200 simultaneous reservations of one org', async () => {
    const [org] = await someOrgs(q, seededRandom(5), 'burst', 1).then((m) => [...m.keys()]);
    await q.db.update(
      'organizations',
      { org_slug: org },
      { concurrent_pipelines_limit: 5, pipelines_per_day_limit: 40, pipelines_per_month_limit: 1000 },
    );
    const at = new Date(START);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => q.repo.reserve(org, `burst-${i}`, 'p1', 600, at)),
    );
    const grants = results.filter((r) => r.granted);
    expect(grants.length).toBe(5);
    expect(new Set(grants.map((g) => g.counts?.concurrentUsed))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(results.filter((r) => r.reason === 'QUOTA_CONCURRENT_EXCEEDED').length).toBe(195);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)(
  'quota SQL: a heartbeat racing an admission on PostgreSQL',
  () => {
    let q: QuotaDb;
    beforeAll(async () => {
      q = await postgresEngine(process.env.TEST_DATABASE_URL as string, 4).open();
    });
    afterAll(() => q.close());

    it('waits for the admission in flight and cannot revive the reservation that admission counted expired', async () => {
      const org = `hb_race_${Math.random().toString(36).slice(2, 8)}`;
      await q.org(org, { concurrent_pipelines_limit: 1 });
      await q.repo.reserve(org, 'old', 'p1', 600, new Date('2024-03-15T10:00:00Z'));
      const pg = q.db as PgTenancyDb;
      let beat: Promise<unknown> | undefined;
      let settled = false;
      await pg.transaction(async (s) => {
        // The admission decides at 10:11, after the old run expired at 10:10 ...
        const [granted] = await s.query(
          `SELECT granted FROM reserve_pipeline_quota(p_org_slug => $1, p_run_id => 'new', p_pipeline_id => 'p1',
           p_ttl_seconds => 600, p_now => '2024-03-15T10:11:00Z')`,
          [org],
        );
        expect(granted).toEqual({ granted: true });
        // ... while a heartbeat that started at 10:09 tries to keep the old run alive.
        beat = q.repo.heartbeat(org, { runId: 'old' }, 3600, new Date('2024-03-15T10:09:00Z')).finally(() => {
          settled = true;
        });
        await new Promise((r) => setTimeout(r, 300));
        expect(settled).toBe(false);
      });
      expect(await beat).toEqual({ outcome: 'not_live', status: 'EXPIRED' });
      const state = await q.repo.state(org, new Date('2024-03-15T10:12:00Z'));
      expect(state?.concurrentUsed).toBe(1);
    });
  },
);
