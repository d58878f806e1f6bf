import { type FakeBigQuery, startFakeBigQuery } from '#test/bigquery-server';
import { startTestApp, type TestApp } from '#test/test-app';

/** Readiness on the BigQuery driver before any bootstrap: no central dataset at all. */
describe('readiness on the BigQuery driver', () => {
  let fake: FakeBigQuery;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFakeBigQuery({ location: 'US', projectId: 'finops-test' });
    t = await startTestApp({
      WAREHOUSE_DRIVER: 'bigquery',
      GCP_PROJECT_ID: 'finops-test',
      BIGQUERY_API_ENDPOINT: fake.url,
      BIGQUERY_LOCATION: 'US',
      BOOTSTRAP_ON_START: 'false',
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('names the missing central dataset and the call that makes it, not an unavailable warehouse', async () => {
    // BigQuery answers tables.list of a dataset that does not exist 404, which read as an outage.
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ failing: ['setup'] });
    expect(res.json().checks.setup.error).toBe('missing dataset organizations; POST /api/v1/admin/bootstrap');
  });
});
