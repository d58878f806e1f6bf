import pg from 'pg';
import { PgTenancyDb } from '#tenancy-db';
import type { AppConfig } from '#platform';
import type { PipelineRunsRepository } from './pipeline-runs.repository.js';
import { QuotaRepository } from './quota.repository.js';
import { QuotaService } from './quota.service.js';

const url = process.env.TEST_DATABASE_URL;

/**
 * An org removed (offboarding) while a run of it is being validated: the reservation read the org's
 * row before the removal committed and writes after it. Needs two sessions, so PostgreSQL only.
 */
describe.skipIf(!url)('QuotaService.reserve while the org is removed', () => {
  const schema = `quota_removed_${Date.now().toString(36)}`;
  let db: PgTenancyDb;
  let other: pg.Client;
  let quota: QuotaService;

  beforeAll(async () => {
    db = await PgTenancyDb.open({ connectionString: url!, schema, max: 4 });
    await db.migrate();
    other = new pg.Client({ connectionString: url });
    await other.connect();
    await other.query(`SET search_path = ${schema}`);
    const config = { env: { QUOTA_RESERVATION_TTL_SECONDS: 1800 } } as AppConfig;
    quota = new QuotaService(new QuotaRepository(db), {} as PipelineRunsRepository, config);
  });
  afterAll(async () => {
    await other.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await other.end();
    await db.close();
  });

  it('refuses the run as ORG_NOT_FOUND, not with a database error', async () => {
    await db.insert('organizations', [{ org_slug: 'removed_org', company_name: 'Gone Inc' }]);
    await other.query('BEGIN');
    await other.query(`DELETE FROM organizations WHERE org_slug = 'removed_org'`);
    const decision = quota.reserve('removed_org', 'run-1', 'subscription_costs');
    // The reservation reads the org (the deletion is not committed yet), then waits on its rows.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await other.query('COMMIT');
    await expect(decision).resolves.toMatchObject({
      granted: false,
      reason: 'ORG_NOT_FOUND',
      subscription: null,
    });
  });
});
