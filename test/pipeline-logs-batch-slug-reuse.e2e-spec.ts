import { randomUUID } from 'node:crypto';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgSlug, anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';

const NO_LIMITS = { RATE_LIMIT_READS_PER_MINUTE: '10000', RATE_LIMIT_WRITES_PER_MINUTE: '10000' };
const HOUR = 3_600_000;

describe('batch runs of a slug taken again', () => {
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  /** A platform-wide (ALL) batch, as run-all records it, that ended at `at`. */
  async function aPlatformBatch(at: Date, results: object[]): Promise<string> {
    const id = randomUUID();
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_batch_runs' }, [
      {
        batch_run_id: id,
        org_slug: 'ALL',
        trigger_type: 'SCHEDULED',
        status: 'COMPLETED',
        run_date: at.toISOString().slice(0, 10),
        dry_run: false,
        orgs_processed: 1,
        orgs_skipped: 0,
        pipelines_triggered: results.length,
        pipelines_failed: 0,
        pipelines_skipped_quota: 0,
        total_integrations: results.length,
        results,
        errors: [],
        elapsed_seconds: 2,
        triggered_at: new Date(at.getTime() - 2000),
        completed_at: at,
        created_at: at,
      },
    ]);
    return id;
  }

  it("does not show an org the entries of the slug's earlier org, made before it existed", async () => {
    const slug = anOrgSlug();
    // The slug's earlier org (offboarded since: its own rows are gone, platform batches name it still).
    const earlier = await aPlatformBatch(new Date(Date.now() - HOUR), [
      { org_slug: slug, provider: 'AWS_IAM', status: 'failed', detail: 'role arn:aws:iam::111:role/earlier' },
    ]);
    const now = await anOrgWithKey(warehouse, { org: slug });
    const later = await aPlatformBatch(new Date(Date.now() + 1000), [
      { org_slug: slug, provider: 'OPENAI', status: 'triggered' },
    ]);
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/pipelines/${slug}/batch-runs?limit=100`,
      headers: { 'x-api-key': now.key },
    });
    expect(res.statusCode).toBe(200);
    const ids = res.json().runs.map((r: { batch_run_id: string }) => r.batch_run_id);
    expect(ids).toContain(later);
    expect(ids).not.toContain(earlier);
    expect(res.body).not.toContain('earlier');
    expect(res.json().total).toBe(ids.length);
  });
});
