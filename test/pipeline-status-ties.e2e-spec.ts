import { CENTRAL_DATASET, WAREHOUSE, type Warehouse } from '#warehouse';
import { anOrgWithKey } from '#test/org-factory';
import { startTestApp, type TestApp } from '#test/test-app';

/**
 * Two runs of one pipeline started at the same instant (a retry stamped with the same second, two
 * instances): the daily status took either, by storage order, so its status could flip from one
 * read to the next. The later run id decides, whatever order the rows were written in.
 */
describe('daily pipeline status with runs started at the same instant', () => {
  let t: TestApp;
  let warehouse: Warehouse;
  beforeAll(async () => {
    t = await startTestApp();
    warehouse = t.app.get<Warehouse>(WAREHOUSE);
  });
  afterAll(() => t.close());

  const aRun = (
    org: string,
    id: string,
    status: string,
    start: Date,
    pipelineId = `${org}-subscription-costs-subscription_cost`,
  ) =>
    warehouse.insertRows({ dataset: CENTRAL_DATASET, table: 'org_meta_pipeline_runs' }, [
      {
        pipeline_logging_id: id,
        org_slug: org,
        pipeline_id: pipelineId,
        status,
        trigger_type: 'api',
        start_time: start,
        run_date: start.toISOString().slice(0, 10),
        created_at: start,
      },
    ]);

  /**
   * The status of subscription_costs for a fresh org whose two runs `write` stored in the order
   * given, once for each order: the same twice when storage order decides nothing.
   */
  async function statusInBothOrders(write: (org: string, order: string[]) => Promise<void>) {
    const statuses: unknown[] = [];
    for (const order of [
      ['COMPLETED', 'FAILED'],
      ['FAILED', 'COMPLETED'],
    ]) {
      const { org, key } = await anOrgWithKey(warehouse);
      await write(org, order);
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/pipelines/status/${org}`,
        headers: { 'x-api-key': key },
      });
      expect(res.statusCode, res.body).toBe(200);
      statuses.push(res.json().pipelines.subscription_costs.status);
    }
    return statuses;
  }

  it('answers the same run whichever was written first', async () => {
    const start = new Date(Math.floor(Date.now() / 1000) * 1000);
    const ids: Record<string, string> = {
      FAILED: '00000000-0000-4000-8000-000000000001',
      COMPLETED: 'ffffffff-0000-4000-8000-000000000002',
    };
    const statuses = await statusInBothOrders(async (org, order) => {
      for (const status of order) await aRun(org, ids[status], status, start);
    });
    expect(statuses).toEqual(['COMPLETED', 'COMPLETED']);
  });

  it('answers the later run id also when the two runs are stored under both forms of the pipeline id', async () => {
    // The daily pipeline is found under its path and under the pipeline service's `{org}-...` id:
    // the latest run of each is read, and the later of those decided by start time only.
    const start = new Date(Math.floor(Date.now() / 1000) * 1000);
    const ids: Record<string, string> = {
      COMPLETED: '00000000-0000-4000-8000-000000000001',
      FAILED: 'ffffffff-0000-4000-8000-000000000002',
    };
    const statuses = await statusInBothOrders(async (org, order) => {
      const pipelineIds: Record<string, string> = {
        FAILED: 'subscription/costs/subscription_cost',
        COMPLETED: `${org}-subscription-costs-subscription_cost`,
      };
      for (const status of order) await aRun(org, ids[status], status, start, pipelineIds[status]);
    });
    expect(statuses).toEqual(['FAILED', 'FAILED']);
  });
});
