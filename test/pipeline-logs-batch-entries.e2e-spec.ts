import { randomUUID } from 'node:crypto';
import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';
import { PipelineLogsRepository } from '../apps/api/src/pipeline-logs/pipeline-logs.repository.js';

const NO_LIMITS = { RATE_LIMIT_READS_PER_MINUTE: '10000', RATE_LIMIT_WRITES_PER_MINUTE: '10000' };

/**
 * A platform-wide (ALL) batch names every org it touched: only the reading org's entries of its
 * results and errors leave the warehouse, not the whole lists filtered afterwards.
 */
describe("batch runs: a platform-wide batch's entries of other orgs stay in the warehouse", () => {
  let t: TestApp;
  let warehouse: Warehouse;

  beforeAll(async () => {
    t = await startTestApp(NO_LIMITS);
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  async function aBatch(org: string, results: unknown[], errors: unknown[], asText = false) {
    const id = randomUUID();
    const at = new Date(Date.now() + 60_000);
    // The driver takes a string as JSON text: quoted once more, the list is stored as a JSON string.
    const stored = (list: unknown[]) => (asText ? JSON.stringify(JSON.stringify(list)) : list);
    await warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_batch_runs' }, [
      {
        batch_run_id: id,
        org_slug: org,
        trigger_type: 'SCHEDULED',
        status: 'COMPLETED',
        run_date: at.toISOString().slice(0, 10),
        dry_run: false,
        orgs_processed: 2,
        orgs_skipped: 0,
        pipelines_triggered: 2,
        pipelines_failed: 0,
        pipelines_skipped_quota: 0,
        total_integrations: 2,
        results: stored(results),
        errors: stored(errors),
        elapsed_seconds: 1,
        triggered_at: at,
        completed_at: at,
        created_at: at,
      },
    ]);
    return id;
  }
  const list = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

  it("reads only the org's entries of platform-wide batches, in their order, and its own batches whole", async () => {
    const a = (await anOrgWithKey(warehouse)).org;
    const b = (await anOrgWithKey(warehouse)).org;
    const results = [
      { org_slug: a, provider: 'OPENAI', status: 'triggered' },
      { org_slug: b, provider: 'AZURE', status: 'triggered' },
      'unattributed',
      { org_slug: a, provider: 'GCP_SA', status: 'failed' },
    ];
    const errors = [{ org_slug: b, error: 'no key' }, 'b: other', { org_slug: a, error: 'slow' }];
    const platform = await aBatch('ALL', results, errors);
    const asText = await aBatch('ALL', results, errors, true);
    const own = await aBatch(a, [{ org_slug: a }, 'own note'], ['own error']);

    const { rows } = await t.app.get(PipelineLogsRepository).listBatchRuns(a, { limit: 100, offset: 0 });
    const byId = (id: string) => rows.find((r) => r.batch_run_id === id)!;
    for (const id of [platform, asText]) {
      expect(list(byId(id).results), id).toEqual([results[0], results[3]]);
      expect(list(byId(id).errors), id).toEqual([errors[2]]);
    }
    expect(list(byId(own).results)).toEqual([{ org_slug: a }, 'own note']);
    expect(list(byId(own).errors)).toEqual(['own error']);
    expect(JSON.stringify(rows)).not.toContain(b);
  });
});
