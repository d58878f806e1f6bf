import { afterAll, beforeAll } from 'vitest';
import { type DbRow, TENANCY_DB, type TenancyDb } from '#tenancy-db';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from './org-factory.js';
import { rootHeaders, startTestApp, type TestApp } from './test-app.js';

export const NO_LIMITS = {
  RATE_LIMIT_WRITES_PER_MINUTE: '10000',
  RATE_LIMIT_READS_PER_MINUTE: '10000',
  RATE_LIMIT_ADMIN_PER_MINUTE: '10000',
};

/** A row of the pipeline service's run log. */
export const runRow = (org: string, id: string, status: string, started: Date) => ({
  pipeline_logging_id: id,
  org_slug: org,
  pipeline_id: 'subscription_costs',
  status,
  start_time: started,
  created_at: started,
});

/** The org's rows of the run log, by run id: what the stale cleanup left of them. */
export const runLogOf = (warehouse: Warehouse, org: string) =>
  warehouse.query<{ pipeline_logging_id: string; status: string; error_message: string | null }>(
    `SELECT pipeline_logging_id, status, error_message FROM \`${CENTRAL_DATASET}.org_meta_pipeline_runs\`
     WHERE org_slug = @org ORDER BY pipeline_logging_id`,
    { org },
  );

/**
 * Registers, in the calling describe block, the app the quota suites drive (the named limits out of
 * the way), started before its tests and closed after them; `t`, `warehouse` and `db` are getters,
 * read inside tests.
 */
export function quotaApp() {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp(NO_LIMITS);
  });
  afterAll(() => app?.close());
  const started = (): TestApp => {
    if (!app) throw new Error('the quota app is not started');
    return app;
  };
  const suite = {
    get t() {
      return started();
    },
    get warehouse() {
      return started().app.get<Warehouse>(WAREHOUSE);
    },
    get db() {
      return started().app.get<TenancyDb>(TENANCY_DB);
    },
    /** An org with a key and its tenancy row (`row` sets its plan and limits). */
    async anOrg(row: DbRow = {}) {
      const k = await anOrgWithKey(suite.warehouse);
      await suite.db.insert('organizations', [{ org_slug: k.org, company_name: 'Acme', ...row }]);
      return k;
    },
    validate: (org: string, key: string, runId: string) =>
      started().app.inject({
        method: 'POST',
        url: `/api/v1/validator/validate/${org}`,
        headers: { 'x-api-key': key },
        payload: { pipeline_id: 'subscription_costs', pipeline_logging_id: runId },
      }),
    post: (path: string, headers: Record<string, string> = rootHeaders) =>
      started().app.inject({ method: 'POST', url: path, headers }),
  };
  return suite;
}
