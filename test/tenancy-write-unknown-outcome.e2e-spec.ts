import { type DbRow, type Filter, TenancyDbError, TenancyDbErrorCode } from '#tenancy-db';
import { NO_LIMITS, expectProblem, orgHarness } from '#test/org-onboarding';
import { startTestApp, type TestApp } from '#test/test-app';

/**
 * A subscription PUT or a re-sync whose tenancy-DB update took effect and yet answered a failure (a
 * statement that timed out, or a connection cut, after the commit): taken back like a failed profile
 * write, so the quotas never enforce a plan the profile does not name after an answer that failed.
 */
describe('a tenancy write of unknown outcome in a subscription PUT or a re-sync', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS);
  });
  afterAll(() => t.close());

  const h = orgHarness(() => t);

  /** The org's row is updated with the limits, and the call answers as if it timed out. */
  async function limitsUpdateTimesOut<T>(call: () => Promise<T>): Promise<T> {
    const db = h.db;
    const update = db.update.bind(db);
    db.update = async <R extends DbRow = DbRow>(table: string, filter: Filter, values: DbRow) => {
      const updated = await update<R>(table, filter, values);
      // The change's own write of the plan (by slug alone), not the restore (only while still as written).
      if (table === 'organizations' && values.plan !== undefined && Object.keys(filter).length === 1)
        throw new TenancyDbError(TenancyDbErrorCode.Timeout, 'statement timeout');
      return updated;
    };
    try {
      return await call();
    } finally {
      db.update = update;
    }
  }

  it('subscription PUT: the plan and limits written are taken back, and the answer says nothing changed', async () => {
    const { org } = await h.onboard({ subscription_plan: 'STARTER' });
    await limitsUpdateTimesOut(async () => {
      const res = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, {
        plan_name: 'SCALE',
      });
      expectProblem(res, 504, 'TENANCY_DB_TIMEOUT');
      expect(res.json()).toMatchObject({ changed: false });
    });
    // Both stores still name the plan the org had: the quotas do not enforce SCALE behind its back.
    expect(await h.tenancyRow(org)).toMatchObject({ plan: 'STARTER', pipelines_per_day_limit: 6 });
    expect((await h.profileRow(org)).subscription_plan).toBe('STARTER');
  });

  it('subscription PUT: one that cannot be taken back says it may have changed', async () => {
    const { org } = await h.onboard({ subscription_plan: 'STARTER' });
    const db = h.db;
    const update = db.update.bind(db);
    db.update = async <R extends DbRow = DbRow>(table: string, filter: Filter, values: DbRow) => {
      // The restore: only while the row is still as written, so its filter has more than the slug.
      if (table === 'organizations' && Object.keys(filter).length > 1)
        throw new TenancyDbError(TenancyDbErrorCode.Unavailable, 'connection lost');
      return update<R>(table, filter, values);
    };
    try {
      await limitsUpdateTimesOut(async () => {
        const res = await h.root('PUT', `/api/v1/organizations/${org}/subscription`, {
          plan_name: 'SCALE',
        });
        expectProblem(res, 500, 'SUBSCRIPTION_UPDATE_FAILED');
        expect(res.json()).toMatchObject({ changed: 'unknown' });
      });
    } finally {
      db.update = update;
    }
  });

  it('re-sync: the plan and contact written are taken back, and the answer says they were left as they were', async () => {
    const { org } = await h.onboard({ subscription_plan: 'STARTER' });
    await limitsUpdateTimesOut(async () => {
      const res = await h.root(
        'POST',
        '/api/v1/organizations/onboard',
        h.onboardBody(org, { subscription_plan: 'SCALE', regenerate_api_key_if_exists: true }),
      );
      expectProblem(res, 504, 'TENANCY_DB_TIMEOUT');
      expect(res.json()).toMatchObject({ changed: false });
    });
    expect(await h.tenancyRow(org)).toMatchObject({ plan: 'STARTER', pipelines_per_day_limit: 6 });
    expect((await h.profileRow(org)).subscription_plan).toBe('STARTER');
  });
});
