import { afterEach, beforeEach } from 'vitest';
import { BigQueryWarehouse, type BigQueryWarehouseOptions } from '#warehouse';
import { type FakeBigQuery, startFakeBigQuery } from './bigquery-server.js';

/**
 * The BigQuery driver as the driver's specs use it against a local server at `url` (the fake
 * BigQuery, or a server of a spec's own): project `finops-test` in the EU, no client retries
 * unless `options` say otherwise.
 */
export function testWarehouse(
  url: string,
  options: Partial<BigQueryWarehouseOptions> = {},
): BigQueryWarehouse {
  return new BigQueryWarehouse({
    projectId: 'finops-test',
    location: 'EU',
    apiEndpoint: url,
    maxRetries: 0,
    ...options,
  });
}

/** A fresh fake BigQuery and a driver on it (testWarehouse), both set before each test. */
export interface FakeBigQueryEach {
  fake: FakeBigQuery;
  wh: BigQueryWarehouse;
}

/**
 * Registers, in the calling describe block, a fake BigQuery started before each test with
 * `fakeOptions` (in the EU, as the driver, unless they say otherwise) and a driver on it, both closed after it: the setup the driver's specs share.
 * Read `fake` and `wh` on the returned object inside tests (they change with each test).
 */
export function fakeBigQueryEach(fakeOptions?: Parameters<typeof startFakeBigQuery>[0]): FakeBigQueryEach {
  const each = {} as FakeBigQueryEach; // set before each test, read only inside tests
  beforeEach(async () => {
    // In the driver's location: a job there finds no dataset of another (see startFakeBigQuery).
    each.fake = await startFakeBigQuery({ location: 'EU', ...fakeOptions });
    each.wh = testWarehouse(each.fake.url);
  });
  afterEach(async () => {
    await each.wh.close();
    await each.fake.close();
  });
  return each;
}
