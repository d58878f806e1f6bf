import { bigQueryAppForAll } from '#test/bigquery-app';

/** Readiness on the BigQuery driver before any bootstrap: no central dataset at all. */
describe('readiness on the BigQuery driver', () => {
  const bq = bigQueryAppForAll({ BOOTSTRAP_ON_START: 'false' });

  it('names the missing central dataset and the call that makes it, not an unavailable warehouse', async () => {
    // BigQuery answers tables.list of a dataset that does not exist 404, which read as an outage.
    const res = await bq.t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ failing: ['setup'] });
    expect(res.json().checks.setup.error).toBe('missing dataset organizations; POST /api/v1/admin/bootstrap');
  });
});
