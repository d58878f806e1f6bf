import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigValidationError } from '#platform';
import { type FakeBigQuery, startFakeBigQuery } from '#test/bigquery-server';
import { LogCapture } from '#test/log-capture';
import { rootHeaders, startTestApp } from '#test/test-app';

/**
 * A central dataset bootstrapped in one location and a start whose BIGQUERY_LOCATION names another
 * (the setting changed, or a new deployment pointed at an existing project): BigQuery runs every
 * query job in BIGQUERY_LOCATION and finds no dataset elsewhere.
 */
describe('a BigQuery start whose BIGQUERY_LOCATION is not where the central dataset is', () => {
  let fake: FakeBigQuery;
  let dir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    fake = await startFakeBigQuery({ location: 'US', projectId: 'finops-test' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finops-location-'));
    env = {
      WAREHOUSE_DRIVER: 'bigquery',
      GCP_PROJECT_ID: 'finops-test',
      BIGQUERY_API_ENDPOINT: fake.url,
      // Kept across the starts, as a restart on its own folders: the same key and tenancy DB.
      ENCRYPTION_KEY_FILE: path.join(dir, 'encryption.key'),
      PGLITE_DIR: path.join(dir, 'pglite'),
    };
    await (await startTestApp({ ...env, BIGQUERY_LOCATION: 'EU' })).close();
  });
  afterEach(async () => {
    fake.intercept(undefined);
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const queries = () =>
    fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/queries')).length;

  it('is refused naming both locations and the setting, its engines closed', async () => {
    // The start went through, and every org call then answered 404 WAREHOUSE_NOT_FOUND ("Not
    // found: Dataset finops-test:organizations was not found in location US"), naming nothing to fix.
    const before = queries();
    const start = startTestApp({ ...env, BIGQUERY_LOCATION: 'US' });
    await expect(start).rejects.toBeInstanceOf(ConfigValidationError);
    await expect(start).rejects.toThrow(
      "BIGQUERY_LOCATION: the central dataset 'organizations' is in EU, not in US",
    );
    await expect(start).rejects.toThrow('set BIGQUERY_LOCATION=EU');
    expect(queries()).toBe(before); // refused before the bootstrap ran a job in the wrong place
    // The tenancy DB's folder was let go: a start in the right location opens it again at once.
    const again = await startTestApp({ ...env, BIGQUERY_LOCATION: 'eu' });
    await again.close();
  }, 90_000);

  it('is not blocked when the dataset cannot be read at start; the bootstrap status names the mismatch', async () => {
    fake.intercept((r) =>
      r.method === 'GET' && r.path.endsWith('/datasets/organizations')
        ? { code: 403, reason: 'accessDenied', message: 'Access Denied: Dataset finops-test:organizations' }
        : undefined,
    );
    const logs = new LogCapture();
    const t = await startTestApp(
      { ...env, BIGQUERY_LOCATION: 'US', LOG_LEVEL: 'warn' },
      { logDestination: logs },
    );
    try {
      expect(logs.text).toContain("The location of the central dataset 'organizations' could not be read");
      fake.intercept(undefined);
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/admin/bootstrap/status?force_refresh=true',
        headers: rootHeaders,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: 'OUT_OF_SYNC', dataset_exists: true });
      expect(res.json().message).toContain(
        "BIGQUERY_LOCATION: the central dataset 'organizations' is in EU, not in US",
      );
    } finally {
      await t.close();
    }
  }, 90_000);
});
