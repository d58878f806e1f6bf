import { randomUUID } from 'node:crypto';
import { CostCache, costDaysAt } from '#analytics';
import type { DbRow } from '#tenancy-db';
import { costFrameOf } from '../libs/analytics/src/testing/frame-of.js';
import { postgresTenancyEnv, rootHeaders, type TestApp } from '#test/test-app';
import { startValidatorApp, type ValidatorApp } from '#test/validator-app';
import { QuotaService } from '../apps/api/src/quota/quota.service.js';

/** Completion and keep-alive of a validated run, as the pipeline service calls them, on each tenancy engine. */
function scenarios(engine: string, engineEnv: () => Record<string, string>) {
  describe(`validator completion and heartbeat on ${engine}`, () => {
    let v: ValidatorApp;
    let t: TestApp;

    beforeAll(async () => {
      v = await startValidatorApp(engineEnv());
      ({ t } = v);
    });
    afterAll(() => v.close());

    const anOrg = (row?: DbRow, scopes?: string[]) => v.anOrg(row, scopes);
    const validate: ValidatorApp['validate'] = (...args) => v.validate(...args);
    const complete: ValidatorApp['complete'] = (...args) => v.complete(...args);
    const usage = (org: string) => v.usage(org);

    it('completes a run once from query parameters or the body; 404 for an unknown or unnamed run, 422 for bad input', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 3 });
      const a = (
        await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: 'a' })
      ).json();
      const done = await complete(
        k.org,
        k.key,
        `?pipeline_status=FAILED&reservation_date=${a.reservation_date}&reservation_id=${a.reservation_id}`,
      );
      expect(done.json()).toMatchObject({
        success: true,
        pipeline_status: 'FAILED',
        reservation_id: a.reservation_id,
        run_id: 'a',
        already_completed: false,
        message: 'Usage counters updated',
      });
      const repeat = await complete(k.org, k.key, '', {
        pipeline_status: 'SUCCESS',
        pipeline_logging_id: 'a',
      });
      expect(repeat.json()).toMatchObject({
        success: true,
        pipeline_status: 'FAILED',
        already_completed: true,
      });
      expect(await usage(k.org)).toMatchObject({
        pipelines_run_today: 0,
        pipelines_failed_today: 1,
        concurrent_running: 0,
      });

      // The pipeline service's own call names only the day: the oldest open run of that day.
      const b = (
        await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: 'b' })
      ).json();
      // As the pipeline service sends it: Content-Type application/json and no body.
      const legacy = await t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/complete/${k.org}?pipeline_status=SUCCESS&reservation_date=${b.reservation_date}`,
        headers: { 'x-api-key': k.key, 'content-type': 'application/json' },
      });
      expect(legacy.json()).toMatchObject({ run_id: 'b', pipeline_status: 'SUCCESS' });

      const unknown = await complete(k.org, k.key, `?pipeline_status=SUCCESS&reservation_id=${randomUUID()}`);
      expect({ status: unknown.statusCode, code: unknown.json().code }).toEqual({
        status: 404,
        code: 'RESERVATION_NOT_FOUND',
      });
      // A FAILED report naming no run takes one past its expiry (a stuck run), never a live one:
      // none here. A success must name its run.
      await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: 'live' });
      const unnamed = await complete(k.org, k.key, '?pipeline_status=FAILED');
      expect({ status: unnamed.statusCode, code: unnamed.json().code }).toEqual({
        status: 404,
        code: 'RESERVATION_NOT_FOUND',
      });
      for (const query of [
        '?reservation_id=x',
        '?pipeline_status=RUNNING&pipeline_logging_id=a',
        '?pipeline_status=SUCCESS',
        '?pipeline_status=SUCCESS&reservation_date=2024-13-45',
      ]) {
        const bad = await complete(k.org, k.key, query);
        expect({ query, status: bad.statusCode, code: bad.json().code }).toEqual({
          query,
          status: 422,
          code: 'VALIDATION_FAILED',
        });
      }
      const byRoot = await t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/complete/${k.org}?pipeline_status=SUCCESS&pipeline_logging_id=b`,
        headers: rootHeaders,
      });
      expect(byRoot.json()).toMatchObject({ already_completed: true, pipeline_status: 'SUCCESS' });
    });

    it('refuses a query and a body that name two runs or two outcomes, naming each field; one value sent twice is one', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 3 });
      for (const run of ['c', 'd'])
        await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: run });
      const before = await usage(k.org);
      for (const [payload, fields] of [
        [{ pipeline_status: 'FAILED', pipeline_logging_id: 'd' }, ['pipeline_logging_id', 'pipeline_status']],
        [{ pipeline_status: 'FAILED' }, ['pipeline_status']],
        [{ pipeline_logging_id: 'd' }, ['pipeline_logging_id']],
      ] as const) {
        const twice = await complete(k.org, k.key, '?pipeline_status=SUCCESS&pipeline_logging_id=c', payload);
        expect(twice.statusCode).toBe(422);
        expect((twice.json().errors as { field: string }[]).map((e) => e.field).sort()).toEqual(fields);
        expect(twice.json().errors[0].message).toMatch(/in the query and .* in the body/);
      }
      // Nothing was completed: both runs still hold their slots.
      expect(await usage(k.org)).toEqual(before);
      expect(before).toMatchObject({ concurrent_running: 2 });
      const same = await complete(k.org, k.key, '?pipeline_status=SUCCESS&pipeline_logging_id=c', {
        pipeline_status: 'SUCCESS',
        pipeline_logging_id: 'c',
        reservation_id: null,
      });
      expect(same.json()).toMatchObject({
        run_id: 'c',
        pipeline_status: 'SUCCESS',
        already_completed: false,
      });
    });

    it("drops the org's cached cost reads when a run completes, and again when its completion is sent again", async () => {
      const k = await anOrg();
      const cache = t.app.get(CostCache);
      let loads = 0;
      const read = () =>
        cache.frame(
          k.org,
          {
            start: '2026-01-01',
            end: '2026-01-31',
            // The days of the app's clock: a past period is kept until they end.
            ...costDaysAt('UTC', Date.now()),
            timeZone: 'UTC',
          },
          async () => {
            loads++;
            return costFrameOf([]);
          },
        );
      await read();
      await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: 'loads' });
      expect((await read()).hit).toBe(true);
      await complete(k.org, k.key, '?pipeline_status=SUCCESS&pipeline_logging_id=loads');
      expect((await read()).hit).toBe(false);
      // A completion is sent again when its answer was lost, perhaps after the run was recorded (a
      // connection cut after the commit, a Supabase call abandoned at its timeout that PostgREST
      // still committed): the repeat is then the one call that answers, so it drops them too.
      await complete(k.org, k.key, '?pipeline_status=SUCCESS&pipeline_logging_id=loads');
      expect((await read()).hit).toBe(false);
      expect(loads).toBe(3);
    });

    it('drops them when the completion repeats a run recorded by a call whose answer was lost, or is refused', async () => {
      const k = await anOrg();
      const cache = t.app.get(CostCache);
      const read = () =>
        cache.frame(
          k.org,
          { start: '2026-01-01', end: '2026-01-31', ...costDaysAt('UTC', Date.now()), timeZone: 'UTC' },
          () => Promise.resolve(costFrameOf([])),
        );
      await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: 'lost' });
      await read();
      // The first completion reached the tenancy DB, and its answer (with the invalidation after it) was lost.
      await t.app.get(QuotaService).complete(k.org, { runId: 'lost' }, 'SUCCESS');
      expect((await read()).hit).toBe(true);

      const retry = await complete(k.org, k.key, '?pipeline_status=SUCCESS&pipeline_logging_id=lost');

      expect(retry.statusCode).toBe(200);
      expect((await read()).hit).toBe(false);
      // Refused (its reservation expired and was pruned, a database error): the run ended and may
      // have loaded costs all the same, so they go too.
      await read();
      const unknown = await complete(k.org, k.key, '?pipeline_status=SUCCESS&pipeline_logging_id=pruned');
      expect(unknown.statusCode).toBe(404);
      expect((await read()).hit).toBe(false);
    });

    it('extends a running reservation on heartbeat and refuses one already completed', async () => {
      const k = await anOrg();
      const r = (
        await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: 'hb' })
      ).json();
      const beat = await t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/heartbeat/${k.org}`,
        headers: { 'x-api-key': k.key },
        payload: { reservation_id: r.reservation_id, ttl_seconds: 7200 },
      });
      expect(beat.json()).toMatchObject({ success: true, run_id: 'hb', reservation_id: r.reservation_id });
      expect(Date.parse(beat.json().expires_at)).toBeGreaterThan(Date.now() + 7100_000);
      // Instants as toISOString writes them, like every other the API answers (the tenancy DB's
      // `+00:00` with 0 to 6 decimals reached the pipeline service as is).
      const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
      expect([r.reservation_expires_at, beat.json().expires_at]).toEqual([
        expect.stringMatching(ISO),
        expect.stringMatching(ISO),
      ]);
      const done = await complete(k.org, k.key, '?pipeline_status=SUCCESS&pipeline_logging_id=hb');
      expect(done.json().completed_at).toMatch(ISO);
      const late = await t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/heartbeat/${k.org}`,
        headers: { 'x-api-key': k.key },
        payload: { pipeline_logging_id: 'hb' },
      });
      expect({ status: late.statusCode, code: late.json().code, s: late.json().reservation_status }).toEqual({
        status: 409,
        code: 'RESERVATION_NOT_LIVE',
        s: 'SUCCESS',
      });
      expect(late.json().detail).toBe(
        'The run was completed as SUCCESS: there is nothing to extend; a new run needs a new run id.',
      );
    });

    const heartbeat = (org: string, key: string, payload: object) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/validator/heartbeat/${org}`,
        headers: { 'x-api-key': key },
        payload,
      });
    const inSeconds = (iso: string) => (Date.parse(iso) - Date.now()) / 1000;

    it('takes a null ttl on validate and heartbeat as absent: the default hold, not a 500', async () => {
      const k = await anOrg();
      const r = await validate(k.org, k.key, {
        pipeline_id: 'subscription_costs',
        pipeline_logging_id: 'null-ttl',
        reservation_ttl_seconds: null,
      });
      expect(r.json()).toMatchObject({ valid: true, run_id: 'null-ttl' });
      const beat = await heartbeat(k.org, k.key, { pipeline_logging_id: 'null-ttl', ttl_seconds: null });
      expect({ status: beat.statusCode, run_id: beat.json().run_id }).toEqual({
        status: 200,
        run_id: 'null-ttl',
      });
      // QUOTA_RESERVATION_TTL_SECONDS: 1800 in this app.
      expect(inSeconds(beat.json().expires_at)).toBeGreaterThan(1700);
      expect(inSeconds(beat.json().expires_at)).toBeLessThanOrEqual(1800);
    });

    it('takes a null body field of a completion as absent: the query names the run', async () => {
      const k = await anOrg();
      await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: 'null-body' });
      const done = await complete(k.org, k.key, '?pipeline_status=SUCCESS&pipeline_logging_id=null-body', {
        pipeline_status: null,
        pipeline_logging_id: null,
        reservation_id: null,
        reservation_date: null,
      });
      expect({ status: done.statusCode, ...done.json() }).toMatchObject({
        status: 200,
        run_id: 'null-body',
        pipeline_status: 'SUCCESS',
        already_completed: false,
      });
    });

    it('never shortens a hold on heartbeat, and answers the expiry that results', async () => {
      const k = await anOrg();
      const r = (
        await validate(k.org, k.key, {
          pipeline_id: 'subscription_costs',
          pipeline_logging_id: 'long',
          reservation_ttl_seconds: 7200,
        })
      ).json();
      const small = await heartbeat(k.org, k.key, { pipeline_logging_id: 'long', ttl_seconds: 120 });
      expect(Date.parse(small.json().expires_at)).toBe(Date.parse(r.reservation_expires_at));
      const longer = await heartbeat(k.org, k.key, { pipeline_logging_id: 'long', ttl_seconds: 10_800 });
      expect(inSeconds(longer.json().expires_at)).toBeGreaterThan(10_700);
    });

    it('says that a reservation id and a run id of two different runs do not match (404)', async () => {
      const k = await anOrg({ concurrent_pipelines_limit: 3 });
      const a = (
        await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: 'run-a' })
      ).json();
      await validate(k.org, k.key, { pipeline_id: 'subscription_costs', pipeline_logging_id: 'run-b' });
      const mismatch = `Reservation ${a.reservation_id} is of run 'run-a', not of run 'run-b': reservation_id and pipeline_logging_id must name the same run (send one of them, or both as validate returned them).`;
      const beat = await heartbeat(k.org, k.key, {
        pipeline_logging_id: 'run-b',
        reservation_id: a.reservation_id,
      });
      const done = await complete(k.org, k.key, '', {
        pipeline_status: 'SUCCESS',
        pipeline_logging_id: 'run-b',
        reservation_id: a.reservation_id,
      });
      for (const res of [beat, done])
        expect({ status: res.statusCode, ...res.json() }).toMatchObject({
          status: 404,
          code: 'RESERVATION_NOT_FOUND',
          detail: mismatch,
          reservation_run_id: 'run-a',
        });
      // Nothing was completed or extended: run-a is still live and completes normally.
      expect(await usage(k.org)).toMatchObject({ concurrent_running: 2 });
      const unknown = randomUUID();
      const missing = await heartbeat(k.org, k.key, {
        pipeline_logging_id: 'run-b',
        reservation_id: unknown,
      });
      expect(missing.json().detail).toBe(`Organization '${k.org}' has no reservation ${unknown}.`);
    });

    it('refuses a malformed reservation_date with one message', async () => {
      const k = await anOrg();
      for (const day of ['abc', '', '2026-02-30']) {
        const bad = await complete(k.org, k.key, `?pipeline_status=SUCCESS&reservation_date=${day}`);
        expect({ day, status: bad.statusCode, errors: bad.json().errors }).toEqual({
          day,
          status: 422,
          errors: [
            { field: 'reservation_date', message: 'reservation_date must be a calendar date as YYYY-MM-DD' },
          ],
        });
      }
    });
  });
}

scenarios('PGlite', () => ({}));

describe.skipIf(!process.env.TEST_DATABASE_URL)('on the machine PostgreSQL', () => {
  scenarios('PostgreSQL', postgresTenancyEnv);
});
