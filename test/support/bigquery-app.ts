import { afterAll, beforeAll } from 'vitest';
import { type FakeBigQuery, startFakeBigQuery } from './bigquery-server.js';
import { startTestApp, type TestApp } from './test-app.js';

/** The app on the BigQuery driver and the fake BigQuery it talks to (project finops-test, US). */
export interface BigQueryApp {
  fake: FakeBigQuery;
  t: TestApp;
}

/**
 * Registers, in the calling describe block, a fake BigQuery and the app on the BigQuery driver
 * against it (with `env`), started before its tests and closed after them. Read `fake` and `t` on
 * the returned object inside tests.
 */
export function bigQueryAppForAll(env: Record<string, string> = {}): BigQueryApp {
  const app = {} as BigQueryApp; // set before the tests, read only inside them
  beforeAll(async () => {
    app.fake = await startFakeBigQuery({ location: 'US', projectId: 'finops-test' });
    app.t = await startTestApp({
      WAREHOUSE_DRIVER: 'bigquery',
      GCP_PROJECT_ID: 'finops-test',
      BIGQUERY_API_ENDPOINT: app.fake.url,
      BIGQUERY_LOCATION: 'US',
      ...env,
    });
  });
  afterAll(async () => {
    await app.t?.close();
    await app.fake?.close();
  });
  return app;
}
